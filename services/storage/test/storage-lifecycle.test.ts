/**
 * The storage service's lifecycle on the real broker and Redis: ten start/stop cycles in one
 * process leave nothing running, a second concurrent stop awaits the first, a start that
 * fails half way (the API port is taken, after the consumers started) undoes what it started,
 * and a hung broker (a frozen TcpProxy) neither holds the stop past its deadline, in process
 * and as `numeter-storage` stopped by SIGTERM, nor gets an ack for a point not written.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { CLOSE_STEP_MS, storageQueueName } from '../../../common/bus/index.js';
import { Deadline, EXIT_WATCHDOG_MS, FORCE_CLOSE_MS } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { freePort } from '../../../common/testing/free-port.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetch } from '../../../common/testing/python-whisper.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { STORAGE_STOP_MS, StorageService } from '../src/storage-service.js';
import { dataMessage, eventually, recentMinute, startPublisher, tempDir, testConfig } from './ingest-fixtures.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('storage service lifecycle', () => {
  let vhost: Vhost;
  let dir: TempDir;
  const prefixes: string[] = [];
  const config = (api: { port: string } = { port: '0' }, amqpUrl = vhost.url) => {
    const prefix = `${uniqueName('lifecycle')}:`;
    prefixes.push(prefix);
    return testConfig({
      storageName: uniqueName('life'),
      amqpUrl,
      wspPath: join(dir.dir, 'wsp'),
      prefix,
      extra: { api: { enabled: 'true', host: '127.0.0.1', ...api } },
    });
  };

  before(async () => {
    vhost = await createVhost('numeter-storage-lifecycle');
    dir = await tempDir('storage-lifecycle');
  });
  after(async () => {
    for (const prefix of prefixes) await deleteRedisPrefix(prefix);
    await dir?.remove();
    await vhost?.delete();
  });

  it('ten start/stop cycles in one process leave no timer, socket or handle behind', async () => {
    const cfg = config();
    const baseline = await resourceBaseline();
    for (let i = 0; i < 10; i++) {
      const service = new StorageService({ config: cfg, hostIds: [], logger: silentLogger() });
      const { apiPort } = await service.start();
      assert.ok(apiPort > 0, 'the API listens');
      await service.waitUntilConsuming();
      await service.stop(5000);
    }
    await assertNoResourcesLeft(baseline);
  });

  it('a second stop while the first is draining awaits it', async () => {
    const service = new StorageService({ config: config(), hostIds: [], logger: silentLogger() });
    await service.start();
    await service.waitUntilConsuming();
    const order: string[] = [];
    const first = service.stop(5000).then(() => order.push('first'));
    const second = service.stop(5000).then(() => order.push('second'));
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second'], 'the second stop resolved only once the first had');
    assert.equal(service.stats().consumer_connected, 0);
  });

  it('a start that fails half way (API port taken) rejects and leaves nothing running', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const baseline = await resourceBaseline();
      const service = new StorageService({ config: config({ port: String(port) }), hostIds: [], logger: silentLogger() });
      await assert.rejects(service.start(), /EADDRINUSE|in use/);
      assert.equal(service.stats().consumer_connected, 0, 'the consumer that had started is stopped again');
      await assertNoResourcesLeft(baseline);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('stops within one deadline when the broker hangs (no answer, no reset), the API still closing after it', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    try {
      const service = new StorageService({ config: config({ port: '0' }, proxy.url(vhost.name)), hostIds: [], logger: silentLogger() });
      await service.start();
      await service.waitUntilConsuming();
      proxy.freeze();
      // The deadline on a clock of the test's own: every step's wait is counted on it, so
      // the stop can only end when the test moves it, never by the wall clock.
      const clock = new ManualClock();
      const deadlineMs = 1500;
      let stopped = false;
      const stopping = service.stop(Deadline.after(deadlineMs, clock)).then(() => {
        stopped = true;
      });
      await clock.advance(deadlineMs - 1);
      assert.equal(stopped, false, 'it waits for the hung broker until the deadline');
      // One deadline for all the steps: once it is reached the rest closes without more time
      // (a fresh allowance per step waited for the hung consumers until deadline + 1 s).
      await clock.advance(1);
      await eventually(() => stopped, 10_000, 'the stop ended at the deadline');
      await stopping;
      assert.equal(service.stats().consumer_connected, 0);
      await clock.advance(FORCE_CLOSE_MS + CLOSE_STEP_MS); // lets the abandoned close of the hung connection give up too
    } finally {
      await proxy.stop();
    }
  });
});

describe('numeter-storage: SIGTERM while the broker hangs', () => {
  let vhost: Vhost;
  let dir: TempDir;
  const prefix = `${uniqueName('sigterm')}:`;

  before(async () => {
    vhost = await createVhost('numeter-storage-sigterm');
    dir = await tempDir('storage-sigterm');
  });
  after(async () => {
    await deleteRedisPrefix(prefix);
    await dir?.remove();
    await vhost?.delete();
  });

  it('exits 0 by its stop deadline, having written what it had taken and acked nothing else', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    const world = await sigtermWorld(dir.dir, { proxied: proxy.url(vhost.name), direct: vhost.url }, prefix);
    const publisher = await startPublisher(vhost.url); // straight to the broker, not through the proxy
    const publish = (minutes: number[]) => Promise.all(minutes.map((m) => publisher.publish(world.message(m))));
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', world.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      let closed = false;
      const exited = new Promise<number | null>((resolve) =>
        child?.on('close', (code) => {
          closed = true;
          resolve(code);
        }),
      );
      const running = () => {
        if (closed) throw new Error(`numeter-storage exited: ${stderr}`);
      };
      await eventually(() => (running(), world.consuming()), 60_000, 'the storage consuming');

      // A: written and acked before the broker hangs.
      await publish(MINUTES.written);
      await eventually(() => world.storedMinutes().length === MINUTES.written.length, 20_000, 'the first points written');
      // B: taken by the storage, held in its write cache (long flush interval), unacked.
      await publish(MINUTES.inCache);
      await eventually(
        async () => (await world.gauge('numeter_storage_messages_in_flight')) === MINUTES.inCache.length,
        10_000,
        'the second messages in flight',
      );
      proxy.freeze();
      // C: the broker sends them into the frozen connection; the storage never sees them.
      await publish(MINUTES.neverSeen);

      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const tookMs = Date.now() - signalledAt;
      child = undefined;
      assert.equal(code, 0, stderr);
      // The stop deadline, a late step's force-close allowance, then the exit watchdog (the
      // hung connection still holds the event loop) at most: one deadline, not one per step.
      const boundMs = STORAGE_STOP_MS + FORCE_CLOSE_MS + EXIT_WATCHDOG_MS;
      assert.ok(tookMs < boundMs + 2000, `exited ${tookMs} ms after SIGTERM (bound ${boundMs} ms)`);
      assert.match(stderr, /signal received: stopping/);

      // What it held in its cache was written while stopping; what never reached it was not.
      const stored = world.storedMinutes();
      assert.deepEqual(stored, [...MINUTES.written, ...MINUTES.inCache]);
      // The proxy closes the hung connection: the broker requeues every message it had no ack for.
      await proxy.stop();
      const queued = await world.takeQueued();
      const acknowledged = MINUTES.all.filter((m) => !queued.includes(m));
      assert.ok(
        acknowledged.every((m) => stored.includes(m)),
        `acked but not written: ${acknowledged.filter((m) => !stored.includes(m))}`,
      );
      assert.ok(
        MINUTES.neverSeen.every((m) => queued.includes(m)),
        'the messages it never saw are back in the queue',
      );
    } finally {
      child?.kill('SIGKILL');
      await publisher.stop();
      await proxy.stop();
    }
  });
});

/** One host's minutes: A written before the hang, B in the cache at the hang, C sent into it. */
const MINUTES = (() => {
  const range = (from: number) => Array.from({ length: 5 }, (_, i) => from + i);
  const written = range(0);
  const inCache = range(5);
  const neverSeen = range(10);
  return { written, inCache, neverSeen, all: [...written, ...inCache, ...neverSeen] };
})();

/** The child's config (API on a port of its own, broker through the proxy) and how to read what it did. */
async function sigtermWorld(root: string, amqpUrl: { proxied: string; direct: string }, prefix: string) {
  const storageName = uniqueName('sigterm');
  const wsp = join(root, 'wsp');
  const port = await freePort();
  const configFile = join(root, 'numeter_storage.cfg');
  writeFileSync(
    configFile,
    [
      '[global]',
      `storage_name = ${storageName}`,
      `wsp_path = ${wsp}`,
      `redis_key_prefix = ${prefix}`,
      `host_list_file = ${join(root, 'host-list')}`,
      'log_level = info',
      '[amqp]',
      `url = ${amqpUrl.proxied}`,
      // Heartbeats (a minute) would notice the hang only after the test: only the stop deadline ends it.
      'heartbeat = 600',
      '[cache]',
      // Long enough for the test to see B held, short enough to be written while stopping.
      'flush_interval_ms = 2000',
      '[api]',
      'enabled = true',
      'listen = 127.0.0.1',
      `port = ${port}`,
      '',
    ].join('\n'),
  );
  const queue = storageQueueName(storageName);
  const hostId = 'sigterm-host';
  const t0 = recentMinute(30);
  const file = join(wsp, createHash('md5').update(hostId).digest('hex').slice(0, 2), hostId, 'load', 'x.wsp');
  const minuteOf = (timestamp: number) => (timestamp - t0) / 60;
  return {
    configFile,
    message: (minute: number) => dataMessage(hostId, { plugin: 'load', timestamp: t0 + minute * 60, values: { x: minute } }),
    /** The minutes whose point is in the file. */
    storedMinutes: () => (existsSync(file) ? pythonFetch(file, t0 - 60, t0 + 30 * 60).map(([ts]) => minuteOf(ts)) : []),
    /** A gauge of the child's /metrics, or -1 while it does not answer. */
    gauge: async (name: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/numeter-storage/metrics`).catch(() => null);
      if (!response?.ok) return -1;
      const line = (await response.text()).split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.split(' ')[1]) : -1;
    },
    /** Whether the storage's consumer is on its queue (the broker says so). */
    consuming: async () => {
      const connection = await amqp.connect(amqpUrl.direct);
      try {
        const channel = await connection.createChannel();
        channel.on('error', () => {}); // the queue is not declared yet
        return (await channel.checkQueue(queue)).consumerCount === 1;
      } catch {
        return false;
      } finally {
        await connection.close().catch(() => {});
      }
    },
    /** Takes every message out of the storage's queue (once the broker has requeued them): their minutes. */
    takeQueued: async () => {
      const connection = await amqp.connect(amqpUrl.direct);
      try {
        const channel = await connection.createChannel();
        await eventually(async () => (await channel.checkQueue(queue)).messageCount >= MINUTES.neverSeen.length, 10_000, 'requeued');
        const minutes: number[] = [];
        for (let got = await channel.get(queue, { noAck: true }); got; got = await channel.get(queue, { noAck: true }))
          minutes.push(minuteOf(JSON.parse(got.content.toString('utf8')).points[0].timestamp));
        return minutes.sort((a, b) => a - b);
      } finally {
        await connection.close();
      }
    },
  };
}
