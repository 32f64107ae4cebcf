import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { decodeMessage, messageId } from '../../schemas/index.js';
import { dataMessage } from '../../testing/data-message.js';
import { eventually } from '../../testing/eventually.js';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';
import {
  BusConsumer,
  BusPublisher,
  type ConsumedMessage,
  DEAD_QUEUE,
  DEAD_REASON_HEADER,
  DEAD_ROUTING_KEY_HEADER,
  type Disposition,
  InvalidMessageError,
  MessageUnroutableError,
  type QueueType,
} from '../index.js';

const run = promisify(execFile);

describe('bus: publisher and consumer on a real broker', () => {
  let vhost: Vhost;
  let admin: ChannelModel;
  let adminChannel: Channel;
  const started: Array<{ stop(deadlineMs?: number): Promise<void> }> = [];

  before(async () => {
    vhost = await createVhost('numeter-bus');
    admin = await amqp.connect(vhost.url);
    adminChannel = await admin.createChannel();
  });
  after(async () => {
    for (const part of started) await part.stop(1000);
    await admin.close();
    await vhost.delete();
  });

  async function publisher(): Promise<BusPublisher> {
    const p = new BusPublisher({ url: vhost.url });
    started.push(p);
    await p.start();
    await p.whenConnected();
    return p;
  }

  async function consumer(
    queue: string,
    bindings: string[],
    handler: (m: ConsumedMessage) => Promise<Disposition>,
    queueType: QueueType = 'classic',
  ): Promise<BusConsumer> {
    const c = new BusConsumer({ url: vhost.url, queue, bindings, prefetch: 10, handler, queueType });
    started.push(c);
    await c.start();
    await eventually(() => c.connected, 5000, 'consumer connected');
    return c;
  }

  async function deadLetters(expected: number): Promise<Array<{ body: string; headers: Record<string, unknown> }>> {
    const found: Array<{ body: string; headers: Record<string, unknown> }> = [];
    await eventually(
      async () => {
        const got = await adminChannel.get(DEAD_QUEUE, { noAck: true });
        if (got) found.push({ body: got.content.toString(), headers: got.properties.headers ?? {} });
        return found.length >= expected;
      },
      5000,
      `${expected} dead letters`,
    );
    return found;
  }

  for (const queueType of ['classic', 'quorum'] as const) {
    it(`round-trips a message through a ${queueType} queue with confirms, messageId and routing key`, async () => {
      const received: ConsumedMessage[] = [];
      const queue = `rt-${queueType}`;
      const c = await consumer(
        queue,
        [`host-${queueType}`],
        async (m) => {
          received.push(m);
          return { action: 'ack' };
        },
        queueType,
      );
      const p = await publisher();
      const message = dataMessage(`host-${queueType}`, 1);
      await p.publish(message);
      await eventually(() => received.length === 1, 5000, 'delivery');
      const [got] = received;
      assert.equal(got.routingKey, `host-${queueType}`);
      assert.equal(got.messageId, messageId(message));
      assert.equal(got.contentType, 'application/json');
      const decoded = decodeMessage(got.body);
      assert.ok(decoded.ok);
      assert.deepEqual(decoded.message, message);
      assert.equal(p.stats().confirmed, 1);
      await eventually(() => c.stats().acked === 1, 5000, 'ack counted');
      const { stdout } = await run('rabbitmqctl', ['list_queues', '-q', '-p', vhost.name, 'name', 'type', 'durable']);
      assert.match(stdout, new RegExp(`${queue}\\s+${queueType}\\s+true`));
    });
  }

  it('validates what it publishes: schema defaults applied, an invalid message refused', async () => {
    const received: ConsumedMessage[] = [];
    await consumer('validated', ['host-valid'], async (m) => {
      received.push(m);
      return { action: 'ack' };
    });
    const p = await publisher();
    await p.publish({ v: 1, kind: 'host', hostId: 'host-valid', timestamp: 1_700_000_000, name: 'valid host' });
    await assert.rejects(p.publish({ ...dataMessage('host-valid', 1), hostId: 'a/b' }), InvalidMessageError);
    await eventually(() => received.length === 1, 5000, 'the valid message');
    const decoded = decodeMessage(received[0].body);
    assert.ok(decoded.ok && decoded.message.kind === 'host');
    assert.equal(decoded.message.description, '');
    assert.equal(received[0].messageId, 'host-valid|@host|1700000000');
  });

  it('rejects a mandatory publish no queue takes with MessageUnroutableError', async () => {
    const p = await publisher();
    await assert.rejects(p.publish(dataMessage('host-nobody-binds', 1)), MessageUnroutableError);
    assert.equal(p.stats().returned, 1);
    assert.equal(p.stats().confirmed, 0);
    // The channel survives a return: the next routable publish is confirmed.
    await consumer('after-return', ['host-bound-later'], async () => ({ action: 'ack' }));
    await p.publish(dataMessage('host-bound-later', 2));
    assert.equal(p.stats().confirmed, 1);
  });

  it('dead-letters a refused message with its reason and routing key, then acks it', async () => {
    const c = await consumer('validating', ['host-dl'], async (m) => {
      const decoded = decodeMessage(m.body);
      return decoded.ok ? { action: 'ack' } : { action: 'dead-letter', reason: decoded.reason };
    });
    const p = await publisher();
    await p.publishRaw('host-dl', Buffer.from('{"v":1,"kind":"data"'), { messageId: 'broken-1' });
    await p.publish(dataMessage('host-dl', 3));
    const [dead] = await deadLetters(1);
    assert.equal(dead.body, '{"v":1,"kind":"data"');
    assert.match(String(dead.headers[DEAD_REASON_HEADER]), /invalid JSON/);
    assert.equal(dead.headers[DEAD_ROUTING_KEY_HEADER], 'host-dl');
    await eventually(() => c.stats().acked === 1 && c.stats().deadLettered === 1, 5000, 'settled');
    const left = await adminChannel.checkQueue('validating');
    assert.equal(left.messageCount, 0);
  });

  it('requeues a message whose handler throws once, dead-letters it when it throws again, and goes on', async () => {
    const attempts = new Map<string, number>();
    const acked: string[] = [];
    const c = await consumer('throwing', ['host-throw'], async (m) => {
      const id = m.messageId ?? '';
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
      if (id.endsWith('poison')) throw new Error('cannot parse the poison');
      acked.push(id);
      return { action: 'ack' };
    });
    const p = await publisher();
    await p.publishRaw('host-throw', Buffer.from('x'), { messageId: 'm-poison' });
    await p.publishRaw('host-throw', Buffer.from('y'), { messageId: 'm-good' });
    const [dead] = await deadLetters(1);
    assert.match(String(dead.headers[DEAD_REASON_HEADER]), /handler failed: cannot parse the poison/);
    await eventually(() => acked.includes('m-good') && c.stats().deadLettered === 1, 5000, 'the good message and the settled poison');
    assert.equal(attempts.get('m-poison'), 2);
    const stats = c.stats();
    assert.equal(stats.handlerErrors, 2);
    assert.equal(stats.requeued, 1);
    assert.equal(stats.deadLettered, 1);
  });

  it('runs handlers concurrently up to prefetch and drains them on stop', async () => {
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const c = await consumer('concurrent', ['host-conc'], async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 100));
      running--;
      done++;
      return { action: 'ack' };
    });
    const p = await publisher();
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.publish(dataMessage('host-conc', i))));
    await eventually(() => c.stats().received === 10, 3000, 'all ten delivered');
    await c.stop(5000);
    assert.equal(done, 10);
    assert.ok(maxRunning > 1, `handlers ran one at a time (max ${maxRunning})`);
    assert.equal(c.stats().acked, 10);
    const left = await adminChannel.checkQueue('concurrent');
    assert.equal(left.messageCount, 0);
  });

  it('acks bursts with few `multiple` acks that never cover a requeued or dead-lettered delivery', async () => {
    const seen = new Set<string>();
    // Handlers finish in groups, as a write cache's flush releases them.
    let gate: Promise<void> | undefined;
    const c = await consumer('batched-acks', ['host-batch'], async (m) => {
      const n = Number(m.messageId?.slice(2));
      gate ??= new Promise<void>((resolve) =>
        setTimeout(() => {
          gate = undefined;
          resolve();
        }, 20),
      );
      await gate;
      if (n % 5 === 0) return { action: 'dead-letter', reason: `refused ${n}` };
      if (n % 7 === 3 && !seen.has(String(n))) {
        seen.add(String(n));
        return { action: 'requeue' };
      }
      return { action: 'ack' };
    });
    const p = await publisher();
    const total = 40;
    await Promise.all(Array.from({ length: total }, (_, n) => p.publishRaw('host-batch', Buffer.from(String(n)), { messageId: `b-${n}` })));
    const refused = Array.from({ length: total }, (_, n) => n).filter((n) => n % 5 === 0);
    const dead = await deadLetters(refused.length);
    assert.deepEqual(
      dead.map((d) => Number(d.body)).sort((a, b) => a - b),
      refused,
    );
    await eventually(() => c.stats().acked === total - refused.length, 5000, 'every other message acked');
    await c.stop(2000);
    const stats = c.stats();
    assert.equal(stats.consumerStarts, 1, 'no channel error (an ack of an unknown tag closes the channel)');
    assert.ok(stats.ackFrames < stats.acked, `${stats.ackFrames} ack frames for ${stats.acked} messages`);
    assert.equal(stats.requeued, seen.size);
    const left = await adminChannel.checkQueue('batched-acks');
    assert.equal(left.messageCount, 0, 'nothing unacked went back to the queue at stop');
  });
});
