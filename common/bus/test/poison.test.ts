/**
 * A poison message cannot hold the consumer: requeues are bounded per message (classic
 * queues count nothing themselves), a body over the size limit is dead-lettered unread
 * with only its head kept, and the dead queue itself is bounded. Real broker, own vhost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { eventually } from '../../testing/eventually.js';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import {
  BusConsumer,
  type BusConsumerOptions,
  BusPublisher,
  type ConsumedMessage,
  DEAD_LETTER_HEAD_BYTES,
  DEAD_QUEUE,
  DEAD_QUEUE_LIMITS,
  DEAD_REASON_HEADER,
  DEAD_TRUNCATED_HEADER,
  type Disposition,
  deadQueueArguments,
  type QueueType,
} from '../index.js';

interface DeadLetter {
  body: Buffer;
  headers: Record<string, unknown>;
}

describe('bus: poison messages', () => {
  let vhost: Vhost;
  let admin: ChannelModel;
  let adminChannel: Channel;
  let publisher: BusPublisher;
  const started: BusConsumer[] = [];

  before(async () => {
    vhost = await createVhost('numeter-poison');
    admin = await amqp.connect(vhost.url);
    adminChannel = await admin.createChannel();
    publisher = new BusPublisher({ url: vhost.url });
    await publisher.start();
    await publisher.whenConnected();
  });
  after(async () => {
    for (const c of started) await c.stop(1000);
    await publisher.stop();
    await admin.close();
    await vhost.delete();
  });

  async function consumer(
    queue: string,
    handler: (m: ConsumedMessage) => Promise<Disposition>,
    extra: Partial<BusConsumerOptions> = {},
  ): Promise<BusConsumer> {
    const c = new BusConsumer({ url: vhost.url, queue, bindings: [queue], prefetch: 10, handler, ...extra });
    started.push(c);
    await c.start();
    await eventually(() => c.connected, 5000, 'consumer connected');
    return c;
  }

  async function takeDeadLetters(expected: number): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    await eventually(
      async () => {
        const got = await adminChannel.get(DEAD_QUEUE, { noAck: true });
        if (got) found.push({ body: got.content, headers: got.properties.headers ?? {} });
        return found.length >= expected;
      },
      10_000,
      `${expected} dead letters`,
    );
    return found;
  }

  for (const queueType of ['classic', 'quorum'] as QueueType[]) {
    it(`dead-letters a message requeued maxRequeues times (${queueType} queue), the others go on`, async () => {
      const queue = `requeue-${queueType}`;
      const attempts = new Map<string, number>();
      const c = await consumer(
        queue,
        async (m) => {
          const body = m.body.toString();
          attempts.set(body, (attempts.get(body) ?? 0) + 1);
          return body === 'poison' ? { action: 'requeue', reason: 'the disk said no' } : { action: 'ack' };
        },
        { maxRequeues: 3, queueType, deadQueueType: 'classic' },
      );
      await publisher.publishRaw(queue, Buffer.from('poison'));
      await publisher.publishRaw(queue, Buffer.from('good'));
      const [dead] = await takeDeadLetters(1);
      assert.equal(dead.body.toString(), 'poison');
      assert.match(String(dead.headers[DEAD_REASON_HEADER]), /^requeue-limit: failed 3 times, last: the disk said no$/);
      assert.equal(attempts.get('poison'), 4, 'one delivery and three redeliveries');
      assert.equal(attempts.get('good'), 1);
      await eventually(() => c.stats().acked === 1, 5000, 'the good message acked');
      assert.equal(c.stats().requeueLimited, 1);
      assert.equal((await adminChannel.checkQueue(queue)).messageCount, 0);
    });
  }

  it('never dead-letters an unbounded requeue (the service is failing, not the message)', async () => {
    const queue = 'requeue-unbounded';
    let attempts = 0;
    const c = await consumer(
      queue,
      async () => {
        attempts++;
        return attempts <= 6 ? { action: 'requeue', reason: 'redis is down', unbounded: true } : { action: 'ack' };
      },
      { maxRequeues: 2 },
    );
    await publisher.publishRaw(queue, Buffer.from('fine once redis is back'));
    await eventually(() => c.stats().acked === 1, 10_000, 'acked after the outage');
    assert.equal(attempts, 7);
    assert.equal(c.stats().deadLettered, 0);
  });

  it('dead-letters a body over maxMessageBytes without calling the handler, keeping its head and size', async () => {
    const queue = 'too-large';
    const seen: number[] = [];
    const c = await consumer(
      queue,
      async (m) => {
        seen.push(m.body.length);
        return { action: 'dead-letter', reason: 'refused by the handler' };
      },
      { maxMessageBytes: 1024 * 1024 },
    );
    const huge = Buffer.alloc(2 * 1024 * 1024, 'x');
    await publisher.publishRaw(queue, huge);
    await publisher.publishRaw(queue, Buffer.alloc(1024 * 1024, 'y')); // at the limit: the handler decides
    const dead = await takeDeadLetters(2);
    const big = dead.find((d) => d.body[0] === 'x'.charCodeAt(0));
    const atLimit = dead.find((d) => d.body[0] === 'y'.charCodeAt(0));
    assert.ok(big && atLimit);
    assert.equal(String(big.headers[DEAD_REASON_HEADER]), `too-large: message of ${huge.length} bytes exceeds the 1048576 allowed`);
    assert.equal(big.body.length, DEAD_LETTER_HEAD_BYTES);
    assert.equal(big.headers[DEAD_TRUNCATED_HEADER], huge.length);
    assert.equal(atLimit.body.length, 1024 * 1024, 'a body the consumer could accept is kept whole');
    assert.equal(atLimit.headers[DEAD_TRUNCATED_HEADER], undefined);
    assert.deepEqual(seen, [1024 * 1024], 'the handler never saw the 2 MiB body');
    assert.equal(c.stats().tooLarge, 1);
  });

  it('declares numeter.dead with its length, size and age bounds (drop-head)', async () => {
    assert.equal(DEAD_QUEUE_LIMITS.overflow, 'drop-head');
    // Redeclaring with the same arguments succeeds; with others the broker refuses (PRECONDITION_FAILED).
    await adminChannel.assertQueue(DEAD_QUEUE, { durable: true, arguments: deadQueueArguments('classic') });
    const probe = await admin.createChannel();
    probe.on('error', () => {});
    await assert.rejects(probe.assertQueue(DEAD_QUEUE, { durable: true, arguments: { 'x-queue-type': 'classic' } }), /PRECONDITION_FAILED/);
  });
});
