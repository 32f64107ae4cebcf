import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { messageId } from '../../schemas/index.js';
import { dataMessage } from '../../testing/data-message.js';
import { eventually } from '../../testing/eventually.js';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import { TcpProxy } from '../../testing/tcp-proxy.js';
import { BusConsumer, BusPublisher, PublishError } from '../index.js';

describe('bus: recovery after the broker connection is cut', () => {
  let vhost: Vhost;
  const proxy = new TcpProxy();

  before(async () => {
    vhost = await createVhost('numeter-busrec');
    await proxy.start();
  });
  after(async () => {
    await proxy.stop();
    await vhost.delete();
  });

  it('reconnects publisher and consumer, and every confirmed message is consumed', async () => {
    const reconnect = { reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 300 };
    const received = new Set<string>();
    const consumer = new BusConsumer({
      url: proxy.url(vhost.name),
      ...reconnect,
      queue: 'recovering',
      bindings: ['host-rec'],
      prefetch: 50,
      handler: async (m) => {
        received.add(m.messageId ?? '');
        return { action: 'ack' };
      },
    });
    const publisher = new BusPublisher({ url: proxy.url(vhost.name), ...reconnect });
    await consumer.start();
    await publisher.start();
    await eventually(() => consumer.connected && publisher.connected, 5000, 'both connected');

    const confirmed = new Set<string>();
    let failures = 0;
    const total = 300;
    for (let i = 0; i < total; i++) {
      if (i === 100) {
        proxy.cut();
        setTimeout(() => proxy.restore(), 1000);
      }
      const message = dataMessage('host-rec', i);
      for (;;) {
        try {
          await publisher.publish(message);
          confirmed.add(messageId(message));
          break;
        } catch (error) {
          assert.ok(error instanceof PublishError, `unexpected ${error}`);
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
    assert.equal(confirmed.size, total);
    assert.ok(failures > 0, 'the cut caused no publish failure: the test did not test recovery');
    await eventually(() => [...confirmed].every((id) => received.has(id)), 10_000, 'every confirmed message consumed');
    assert.ok(publisher.stats().connects >= 2, 'publisher did not reconnect');
    assert.ok(consumer.stats().consumerStarts >= 2, 'consumer did not re-consume');
    await consumer.stop(2000);
    await publisher.stop(2000);
  });
});
