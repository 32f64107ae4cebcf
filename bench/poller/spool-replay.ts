/**
 * Spool replay throughput: fill a spool with a backlog (by default 24 hours of one-minute
 * polls of ~32 messages), then replay it through the Forwarder and a real broker into a
 * queue bound to the host, and time it until the broker confirmed every record.
 * Used by bench/poller/main.ts; runnable alone: `node --import tsx bench/poller/spool-replay.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import { BusPublisher, declareExchange, EXCHANGE } from '../../common/bus/index.js';
import type { DataMessage, Message } from '../../common/schemas/index.js';
import { Forwarder } from '../../services/poller/src/forward/index.js';
import { Spool } from '../../services/poller/src/spool/index.js';

export interface SpoolReplayOptions {
  polls: number;
  messagesPerPoll: number;
  amqpUrl: string;
  /** Forwarder window. Default 256. */
  window?: number;
}

export interface SpoolReplayResult {
  records: number;
  seconds: number;
  recordsPerSecond: number;
}

const POLL_SECONDS = 60;
const START = 1_767_225_600; // 2026-01-01T00:00:00Z

/** One poll's messages: munin-like plugins of a few fields each. */
function pollMessages(hostId: string, poll: number, count: number): Message[] {
  const timestamp = START + poll * POLL_SECONDS;
  return Array.from({ length: count }, (_, i): DataMessage => {
    const values: Record<string, number | null> = {};
    for (let f = 0; f < 6; f++) values[`field${f}`] = (poll * 31 + i * 7 + f) % 1000;
    return { v: 1, kind: 'data', hostId, points: [{ plugin: `plugin_${i}`, timestamp, values }] };
  });
}

export async function measureSpoolReplay(opts: SpoolReplayOptions): Promise<SpoolReplayResult> {
  const suffix = randomBytes(4).toString('hex');
  const hostId = `bench-replay-${suffix}`;
  const queue = `numeter.bench.spool-replay.${suffix}`;
  const dir = await mkdtemp(join(tmpdir(), 'numeter-bench-spool-'));
  const admin = await amqp.connect(opts.amqpUrl);
  const channel = await admin.createChannel();
  const spool = new Spool({ dir, fsync: 'never', maxBytes: 1 << 30 });
  const publisher = new BusPublisher({ url: opts.amqpUrl, connectionName: 'numeter-bench-spool-replay' });
  const forwarder = new Forwarder({ spool, publisher, window: opts.window ?? 256 });
  try {
    await declareExchange(channel);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(queue, EXCHANGE, hostId);
    await spool.start();
    for (let poll = 0; poll < opts.polls; poll++) await spool.append(pollMessages(hostId, poll, opts.messagesPerPoll));
    const records = spool.stats().records;
    await publisher.start();
    await publisher.whenConnected();
    const started = performance.now();
    forwarder.start();
    while (spool.stats().records > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = (performance.now() - started) / 1000;
    const { messageCount } = await channel.checkQueue(queue);
    if (messageCount < records) throw new Error(`queue holds ${messageCount} messages, ${records} were spooled`);
    return { records, seconds, recordsPerSecond: records / seconds };
  } finally {
    await forwarder.stop(2000);
    await publisher.stop(2000);
    await spool.stop();
    await channel.deleteQueue(queue).catch(() => {});
    await admin.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reference for the same run: plain amqplib doing the same AMQP work without the spool:
 * `records` persistent, mandatory messages of `bodyBytes` with the same properties (messageId,
 * type, a header) to the `numeter` exchange and a bound durable queue, on one ConfirmChannel,
 * `window` unconfirmed at a time. No disk spool, no ordering, no retry bookkeeping.
 */
export async function measureRawConfirmedPublish(opts: {
  records: number;
  amqpUrl: string;
  bodyBytes?: number;
  window?: number;
}): Promise<SpoolReplayResult> {
  const suffix = randomBytes(4).toString('hex');
  const queue = `numeter.bench.raw-publish.${suffix}`;
  const routingKey = `bench-raw-${suffix}`;
  const connection = await amqp.connect(opts.amqpUrl);
  const channel = await connection.createConfirmChannel();
  const body = Buffer.alloc(opts.bodyBytes ?? 260, 'x');
  const window = opts.window ?? 256;
  try {
    await declareExchange(channel);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(queue, EXCHANGE, routingKey);
    const started = performance.now();
    let sent = 0;
    const worker = async () => {
      while (sent < opts.records) {
        const n = sent++;
        await new Promise<void>((resolve, reject) => {
          const props = {
            persistent: true,
            mandatory: true,
            messageId: `${routingKey}|p|${n}`,
            type: 'data',
            headers: { 'x-bench': String(n) },
          };
          channel.publish(EXCHANGE, routingKey, body, props, (err) => (err ? reject(err) : resolve()));
        });
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    const seconds = (performance.now() - started) / 1000;
    return { records: opts.records, seconds, recordsPerSecond: opts.records / seconds };
  } finally {
    await channel.deleteQueue(queue).catch(() => {});
    await connection.close().catch(() => {});
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const amqpUrl = process.env.NUMETER_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F';
  const result = await measureSpoolReplay({ polls: 1440, messagesPerPoll: 32, amqpUrl });
  const reference = await measureRawConfirmedPublish({ records: result.records, amqpUrl });
  console.log(
    `spool replay: ${result.records} records (24 h backlog) in ${result.seconds.toFixed(2)} s = ${Math.round(result.recordsPerSecond)} records/s`,
  );
  console.log(
    `reference, plain amqplib confirmed publishing of as many (same properties, no spool): ${Math.round(reference.recordsPerSecond)} records/s`,
  );
  console.log(`ratio spool replay / reference: ${(result.recordsPerSecond / reference.recordsPerSecond).toFixed(2)}`);
}
