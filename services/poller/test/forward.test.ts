import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { BusConsumer, BusPublisher, EXCHANGE } from '../../../common/bus/index.js';
import { type DataMessage, encodeMessage, Message, messageId } from '../../../common/schemas/index.js';
import { dataMessage } from '../../../common/testing/data-message.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import { Forwarder } from '../src/forward/index.js';
import { Spool } from '../src/spool/index.js';
import { encodeRecordV1 } from '../src/spool/record.js';
import { tempDir } from './spool-fixtures.js';

/** Like eventually, but checks on every turn of the event loop, to catch a short state. */
async function waitForImmediate(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('forwarder: spool to a real broker through a TCP proxy that can be cut', () => {
  let vhost: Vhost;
  const proxy = new TcpProxy();
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    vhost = await createVhost('numeter-fwd');
    await proxy.start();
  });
  after(async () => {
    await proxy.stop();
    await vhost.delete();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  /** A spool on `dir` forwarded by a publisher on `url`, stopped (forwarder first) after the test. */
  function forwarding(dir: string, url: string): { spool: Spool; publisher: BusPublisher; forwarder: Forwarder } {
    const spool = new Spool({ dir, fsync: 'never' });
    const publisher = new BusPublisher({ url });
    const forwarder = new Forwarder({ spool, publisher });
    stops.unshift(async () => {
      await forwarder.stop(1000);
      await publisher.stop(1000);
      await spool.stop();
    });
    return { spool, publisher, forwarder };
  }

  /** A storage-like consumer on the direct URL (not through the proxy), recording arrival order. */
  async function storage(queue: string, hostId: string): Promise<{ arrivals: string[]; consumer: BusConsumer }> {
    const arrivals: string[] = [];
    const consumer = new BusConsumer({
      url: vhost.url,
      queue,
      bindings: [hostId],
      prefetch: 100,
      handler: async (m) => {
        arrivals.push(m.messageId ?? '');
        return { action: 'ack' };
      },
    });
    await consumer.start();
    stops.unshift(() => consumer.stop(1000));
    await eventually(() => consumer.connected, 5000, 'consumer connected');
    return { arrivals, consumer };
  }

  async function poller(): Promise<{ spool: Spool; forwarder: Forwarder; publisher: BusPublisher }> {
    const temp = await tempDir('fwd');
    const spool = new Spool({ dir: temp.dir, fsync: 'never', cursorSyncMs: 20 });
    const publisher = new BusPublisher({ url: proxy.url(vhost.name), reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 300 });
    const forwarder = new Forwarder({ spool, publisher, window: 16, retryInitialMs: 50, retryMaxMs: 400 });
    await spool.start();
    await publisher.start();
    forwarder.start();
    stops.push(async () => {
      await forwarder.stop(1000);
      await publisher.stop(1000);
      await spool.stop();
      await temp.remove();
    });
    return { spool, forwarder, publisher };
  }

  /** Distinct ids in order of first arrival. */
  const firstArrivals = (arrivals: string[]) => [...new Set(arrivals)];

  it('delivers every message once per key, in order, across a several-second broker outage', async () => {
    const { arrivals } = await storage('fwd-outage', 'host-outage');
    const { spool, forwarder, publisher } = await poller();
    await publisher.whenConnected();
    const sent: DataMessage[] = [];
    for (let n = 0; n < 40; n++) {
      if (n === 8) {
        // A burst, cut while part of it awaits confirms: those publishes fail and are retried.
        const burst = Array.from({ length: 300 }, (_, i) => dataMessage('host-outage', 1000 + i));
        sent.push(...burst);
        await spool.append(burst);
        await waitForImmediate(() => publisher.stats().inFlight > 0, 2000, 'publishes in flight');
        proxy.cut();
      }
      if (n === 33) {
        assert.ok(spool.stats().records >= 24, `only ${spool.stats().records} records held during the outage`);
        proxy.restore(); // after 2.5 s without a broker
      }
      const message = dataMessage('host-outage', n);
      sent.push(message);
      const refused = proxy.counters.refused;
      await spool.append([message]);
      // Paced by the counters, not by the clock: while the broker is away each message waits
      // for one more refused reconnect (the outage spans many backoff rounds, a few seconds);
      // otherwise until everything appended so far is confirmed.
      if (n >= 8 && n < 33) await eventually(() => proxy.counters.refused > refused, 10_000, `a reconnect refused after message ${n}`);
      else await eventually(() => spool.stats().records === 0, 10_000, `message ${n} confirmed`);
    }
    const expected = sent.map(messageId);
    await eventually(() => new Set(arrivals).size === expected.length, 10_000, 'every message delivered');
    assert.deepEqual(firstArrivals(arrivals), expected);
    await eventually(() => spool.stats().records === 0, 3000, 'the spool emptied by confirms');
    const stats = forwarder.stats();
    assert.ok(publisher.stats().connects >= 2, 'the publisher never reconnected: the outage did not happen');
    assert.ok(stats.unavailable > 0 && stats.retried > 0, 'no publish was cut in flight');
    assert.ok(stats.confirmed >= expected.length);
    assert.equal(spool.stats().dropped, 0);
  });

  it('keeps unroutable messages in the spool until a queue is bound, then delivers them all in order', async () => {
    const { spool, forwarder, publisher } = await poller();
    await publisher.whenConnected();
    const sent = Array.from({ length: 10 }, (_, n) => dataMessage('host-late-storage', n));
    await spool.append(sent.slice(0, 5));
    // Every first attempt came back; from now on one retry at a time.
    await eventually(() => forwarder.stats().returned >= 5 && forwarder.stats().inFlight <= 1, 5000, 'returns');
    await spool.append(sent.slice(5));
    assert.equal(spool.stats().records, 10, 'returned messages stay spooled');
    const { arrivals } = await storage('fwd-late', 'host-late-storage');
    await eventually(() => new Set(arrivals).size === 10, 5000, 'all ten delivered once bound');
    assert.deepEqual(firstArrivals(arrivals), sent.map(messageId));
    await eventually(() => spool.stats().records === 0, 3000, 'the spool emptied');
    assert.equal(spool.stats().dropped, 0);
  });

  it('keeps messages the broker nacks (queue full, reject-publish) and delivers them once there is room', async () => {
    const admin = await amqp.connect(vhost.url);
    stops.push(() => admin.close());
    const channel = await admin.createChannel();
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    await channel.assertQueue('fwd-full', { durable: true, arguments: { 'x-max-length': 3, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue('fwd-full', EXCHANGE, 'host-full');
    const { spool, forwarder } = await poller();
    const sent = Array.from({ length: 8 }, (_, n) => dataMessage('host-full', n));
    await spool.append(sent);
    // Every first attempt settled: 3 confirmed, 5 nacked, retries go one at a time from now on.
    await eventually(() => forwarder.stats().nacked >= 5 && forwarder.stats().inFlight <= 1 && spool.stats().records === 5, 5000, 'nacks');
    assert.equal(forwarder.stats().window, 1, 'the window shrinks to one while the broker refuses');
    const arrivals: string[] = [];
    await channel.consume('fwd-full', (m) => {
      if (!m) return;
      arrivals.push(m.properties.messageId);
      channel.ack(m);
    });
    await eventually(() => new Set(arrivals).size === 8, 5000, 'all eight delivered');
    assert.deepEqual(firstArrivals(arrivals), sent.map(messageId));
    await eventually(() => spool.stats().records === 0, 3000, 'the spool emptied');
  });

  it('resumes from the commit cursor after a restart of the poller side', async () => {
    const { arrivals } = await storage('fwd-restart', 'host-restart');
    const temp = await tempDir('fwd-restart');
    stops.push(temp.remove);
    const sent = Array.from({ length: 30 }, (_, n) => dataMessage('host-restart', n));
    proxy.cut(); // broker down during the first run: everything stays spooled
    {
      const spool = new Spool({ dir: temp.dir, fsync: 'never' });
      const publisher = new BusPublisher({ url: proxy.url(vhost.name), reconnectInitialDelayMs: 50 });
      const forwarder = new Forwarder({ spool, publisher });
      await spool.start();
      await publisher.start();
      forwarder.start();
      const refused = proxy.counters.refused;
      await spool.append(sent);
      await eventually(() => proxy.counters.refused > refused, 10_000, 'the publisher tried the broker and was refused');
      await forwarder.stop(500);
      await publisher.stop(500);
      await spool.stop();
    }
    proxy.restore();
    const { spool, publisher, forwarder } = forwarding(temp.dir, proxy.url(vhost.name));
    await spool.start();
    assert.equal(spool.stats().records, 30);
    await publisher.start();
    forwarder.start();
    await eventually(() => new Set(arrivals).size === 30, 5000, 'all thirty delivered after the restart');
    assert.deepEqual(firstArrivals(arrivals), sent.map(messageId));
  });
  it('publishes records spooled before an upgrade (NMS1, no route) and new ones alike: the spooled bytes, routed and named as before', async () => {
    const admin = await amqp.connect(vhost.url);
    stops.push(() => admin.close());
    const channel = await admin.createChannel();
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    await channel.assertQueue('fwd-upgrade', { durable: true });
    await channel.bindQueue('fwd-upgrade', EXCHANGE, 'host-upgrade');
    const temp = await tempDir('fwd-upgrade');
    stops.push(temp.remove);
    const sent = Array.from({ length: 6 }, (_, n) => Message.parse(dataMessage('host-upgrade', n)));
    // Three records as the previous version wrote them, in a segment left on disk.
    const legacy = sent.slice(0, 3).map((message, seq) => encodeRecordV1(seq, Date.now(), encodeMessage(message)));
    await writeFile(join(temp.dir, `${'0'.repeat(16)}.seg`), Buffer.concat(legacy));
    const { spool, publisher, forwarder } = forwarding(temp.dir, vhost.url);
    await spool.start();
    await spool.append(sent.slice(3));
    const arrived: Array<{ id: string; type: string; key: string; body: string }> = [];
    await channel.consume('fwd-upgrade', (m) => {
      if (!m) return;
      arrived.push({ id: m.properties.messageId, type: m.properties.type, key: m.fields.routingKey, body: m.content.toString() });
      channel.ack(m);
    });
    await publisher.start();
    forwarder.start();
    await eventually(() => arrived.length >= 6, 5000, 'all six delivered');
    assert.deepEqual(
      arrived,
      sent.map((message) => ({ id: messageId(message), type: 'data', key: 'host-upgrade', body: encodeMessage(message).toString() })),
    );
    assert.equal(forwarder.stats().unreadable, 0);
    await eventually(() => spool.stats().records === 0, 3000, 'the spool emptied');
  });
});
