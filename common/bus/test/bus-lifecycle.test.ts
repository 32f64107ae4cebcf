import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataMessage } from '../../testing/data-message.js';
import { eventually } from '../../testing/eventually.js';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../testing/resources.js';
import { BusConsumer, BusPublisher, type ConsumedMessage, InvalidBrokerUrlError } from '../index.js';

describe('bus components: the shared lifecycle', () => {
  let vhost: Vhost;
  before(async () => {
    vhost = await createVhost('numeter-bus-lifecycle');
  });
  after(async () => {
    await vhost?.delete();
  });

  it('ten start/stop cycles of a publisher and a consumer deliver each time and leave nothing running', async () => {
    const received: string[] = [];
    const consumer = new BusConsumer({
      url: vhost.url,
      queue: 'cycles',
      bindings: ['#'],
      prefetch: 5,
      handler: async (message: ConsumedMessage) => {
        received.push(message.routingKey);
        return { action: 'ack' };
      },
    });
    const publisher = new BusPublisher({ url: vhost.url });
    const before = await resourceBaseline();
    for (let cycle = 0; cycle < 10; cycle++) {
      await consumer.start();
      await publisher.start();
      await eventually(() => consumer.connected && publisher.connected, 10_000, 'connected');
      await publisher.publish(dataMessage(`host${cycle}`, cycle));
      await eventually(() => received.length === cycle + 1, 10_000, `message ${cycle} consumed`);
      await eventually(() => consumer.stats().acked === cycle + 1, 10_000, `message ${cycle} acked`);
      await publisher.stop(2000);
      await consumer.stop(2000);
    }
    assert.equal(received.length, 10);
    assert.equal(publisher.stats().confirmed, 10, 'counters keep growing across restarts');
    await assertNoResourcesLeft(before);
  });

  it('a second concurrent consumer stop awaits the first, which waits for the running handler', async () => {
    let release!: () => void;
    const handlerHeld = new Promise<void>((resolve) => (release = resolve));
    let handling = false;
    const consumer = new BusConsumer({
      url: vhost.url,
      queue: 'concurrent-stop',
      bindings: ['#'],
      prefetch: 1,
      handler: async () => {
        handling = true;
        await handlerHeld;
        return { action: 'ack' };
      },
    });
    const publisher = new BusPublisher({ url: vhost.url });
    await consumer.start();
    await publisher.start();
    await eventually(() => consumer.connected && publisher.connected, 10_000, 'connected');
    await publisher.publish(dataMessage('h', 1));
    await publisher.stop(2000);
    await eventually(() => handling, 10_000, 'handler running');
    const first = consumer.stop(10_000);
    let secondDone = false;
    const second = consumer.stop(10_000).then(() => {
      secondDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(secondDone, false, 'the second stop returned while the first was still draining');
    release();
    await Promise.all([first, second]);
    assert.equal(consumer.stats().acked, 1, 'the handler finished and its message was acked before closing');
  });

  it('a publisher that cannot start (bad URL) rejects and can be given up on without leaving anything', async () => {
    const before = await resourceBaseline();
    const publisher = new BusPublisher({ url: 'amqp://guest:guest@127.0.0.1:notaport/' });
    try {
      await assert.rejects(publisher.start(), InvalidBrokerUrlError);
    } finally {
      // Also when start() wrongly succeeded: a connection left open would hold the test file open.
      await publisher.stop(100);
    }
    await assertNoResourcesLeft(before);
  });
});
