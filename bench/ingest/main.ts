/**
 * Ingestion benchmark: RabbitMQ → numeter-storage → .wsp files + Redis, everything on
 * this machine. A publisher child process publishes data messages with confirms (one per
 * host and minute, carrying every plugin of the host: HOSTS × PLUGINS × VALUES points per
 * minute) while the storage runs in this process; the clock runs from the first publish
 * to the last ack. Then, in the same run, the reference: the whisper library's own batched
 * throughput (WhisperWriter.updateMany of every series' points in one call) on the same
 * files. Printed: points/s, messages/s, p50/p99 publish-to-file latency (publish → points
 * written and indexed, just before the ack), the ratio to the reference, the peak write-cache
 * size against its limit, and a check that every point is in its file.
 *
 * Then the phases with alerting (with-alerting.ts): BENCH_ALERT_PHASE_MINUTES minutes each,
 * the same sustained ingestion while an alerting engine consumes its copy of the messages,
 * without rules, with BENCH_ALERT_RULES rules, without again (0 minutes: skipped), with
 * probes timed until their webhook notification arrives.
 *
 * Then phase "drain": with the storage stopped, BENCH_DRAIN_MINUTES more minutes are
 * published into its queue; a new storage is started and timed from start() to the last
 * ack: the storage's own rate, without the publisher and the broker's publishing side
 * sharing the CPU at the same time.
 *
 * Env: BENCH_HOSTS (200), BENCH_PLUGINS (10), BENCH_VALUES (5), BENCH_MINUTES (30), BENCH_DRAIN_MINUTES (30),
 * BENCH_ALERT_PHASE_MINUTES (300), BENCH_ALERT_RULES (10000), BENCH_PREFETCH (2000), BENCH_MAX_POINTS (200000), BENCH_FLUSH_POINTS (100000), BENCH_DIR (os.tmpdir()).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { BusPublisher } from '../../common/bus/index.js';
import { silentLogger } from '../../common/logging/index.js';
import { type DataMessage, encodeMessage } from '../../common/schemas/index.js';
import { createVhost } from '../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../common/testing/redis-prefix.js';
import { fetch, WhisperWriter } from '../../common/whisper/index.js';
import { StorageConfigSchema } from '../../services/storage/src/config.js';
import { seriesFile } from '../../services/storage/src/files/layout.js';
import { StorageService } from '../../services/storage/src/storage-service.js';
import { alertingBench } from './alerting.js';
import { type AlertingFigures, ingestWithAlerting, printAlertingFigures } from './with-alerting.js';

const env = (name: string, def: number) => Number(process.env[name] ?? def);
const HOSTS = env('BENCH_HOSTS', 200);
const PLUGINS = env('BENCH_PLUGINS', 10);
const VALUES = env('BENCH_VALUES', 5);
const MINUTES = env('BENCH_MINUTES', 30);
const PREFETCH = env('BENCH_PREFETCH', 2000);
const MAX_POINTS = env('BENCH_MAX_POINTS', 200_000);
const FLUSH_POINTS = env('BENCH_FLUSH_POINTS', 100_000);
const DRAIN_MINUTES = env('BENCH_DRAIN_MINUTES', 30);
// 300 minutes × 200 hosts: phases of ~15 s on an idle machine. With 29 (1.5 s phases) the two
// runs without rules differed by 24 % on a quiet machine, more than the 5 % the ratio judges.
// 30 + 3 × 300 + 30 minutes stay inside the files' first archive (1,440 minutes).
const ALERT_PHASE_MINUTES = env('BENCH_ALERT_PHASE_MINUTES', 300);
const ALERT_RULES = env('BENCH_ALERT_RULES', 10_000);
const DRAIN_FROM = MINUTES + 3 * ALERT_PHASE_MINUTES;
const ALL_MINUTES = DRAIN_FROM + DRAIN_MINUTES;
const SENT_HEADER = 'x-bench-sent-ms';

const nowSec = Math.floor(Date.now() / 1000);
const T0 = nowSec - (nowSec % 60) - (ALL_MINUTES + 5) * 60;
const hostId = (h: number) => `bench-host-${h}`;
const pluginName = (p: number) => `plugin${p}`;
const dsName = (v: number) => `ds${v}`;
const pointValue = (h: number, p: number, v: number, m: number) => ((h * 31 + p * 7 + v * 3 + m) % 1000) / 4;

function message(h: number, m: number): DataMessage {
  const points = [];
  for (let p = 0; p < PLUGINS; p++) {
    const values: Record<string, number> = {};
    for (let v = 0; v < VALUES; v++) values[dsName(v)] = pointValue(h, p, v, m);
    points.push({ plugin: pluginName(p), timestamp: T0 + m * 60, values });
  }
  return { v: 1, kind: 'data', hostId: hostId(h), points };
}

/** The child: publishes every message with confirms, a window of them in flight. */
async function publisherMain(url: string, fromMinute: number, toMinute: number): Promise<void> {
  const publisher = new BusPublisher({ url });
  await publisher.start();
  await publisher.whenConnected();
  const window = 500;
  const inFlight = new Set<Promise<void>>();
  process.send?.({ started: Date.now() });
  for (let m = fromMinute; m < toMinute; m++) {
    for (let h = 0; h < HOSTS; h++) {
      const msg = message(h, m);
      const sent = publisher.publishRaw(msg.hostId, encodeMessage(msg), { headers: { [SENT_HEADER]: Date.now() } });
      const tracked = sent.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  process.send?.({ published: Date.now() });
  await publisher.stop();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const vhost = await createVhost('bench-ingest');
  const url = vhost.url;
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'numeter-bench-ingest-'));
  const prefix = `${vhost.name}:`;
  const config = StorageConfigSchema.parse({
    global: {
      storage_name: 'bench',
      wsp_path: join(dir, 'wsp'),
      redis_key_prefix: prefix,
      log_level: 'error',
      host_list_file: join(dir, 'none'),
    },
    amqp: { url, prefetch: String(PREFETCH) },
    cache: {
      max_points: String(MAX_POINTS),
      flush_points: String(FLUSH_POINTS),
      flush_interval_ms: '100',
      // + the alerting phase's latency probes (one series each).
      max_open_files: String(HOSTS * PLUGINS * VALUES + 1100),
    },
    whisper: { sparse: 'true' },
    api: { enabled: 'false' },
  });
  const latencies: number[] = [];
  let acked = 0;
  let lastAck = 0;
  const newService = () =>
    new StorageService({
      config,
      hostIds: [],
      logger: silentLogger(),
      observeDelivery: (m, d) => {
        // Only the publisher child's messages (the alerting probes carry no send time).
        if (d.action !== 'ack' || m.headers[SENT_HEADER] === undefined) return;
        acked++;
        lastAck = Date.now();
        latencies.push(lastAck - Number(m.headers[SENT_HEADER]));
      },
    });
  let service = newService();
  const expectedMessages = HOSTS * MINUTES;
  const expectedPoints = expectedMessages * PLUGINS * VALUES;
  try {
    await service.start();
    await service.waitUntilConsuming();
    const phase = async (fromMinute: number, toMinute: number) => {
      const target = acked + HOSTS * (toMinute - fromMinute);
      const cpuBefore = process.cpuUsage();
      latencies.length = 0;
      let firstPublish = 0;
      let publishedAll = 0;
      const child = fork(fileURLToPath(import.meta.url), ['--publisher', url, String(fromMinute), String(toMinute)], {
        execArgv: ['--import', 'tsx'],
      });
      child.on('message', (msg: { started?: number; published?: number }) => {
        if (msg.started) firstPublish = msg.started;
        if (msg.published) publishedAll = msg.published;
      });
      const childExit = new Promise<number | null>((resolve) => child.on('exit', resolve));
      while (acked < target) {
        await new Promise((r) => setTimeout(r, 10));
        const stats = service.stats();
        peakCache = Math.max(peakCache, stats.cache_pendingPoints + stats.cache_writingPoints);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      if ((await childExit) !== 0) throw new Error('the publisher failed');
      const seconds = (lastAck - firstPublish) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds;
      const points = HOSTS * (toMinute - fromMinute) * PLUGINS * VALUES;
      latencies.sort((a, b) => a - b);
      return {
        seconds,
        points,
        messages: HOSTS * (toMinute - fromMinute),
        lastAckMs: lastAck,
        publishSeconds: (publishedAll - firstPublish) / 1000,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        cpuShare,
      };
    };
    let peakCache = 0;
    let peakRss = 0;
    const cold = await phase(0, 1);
    const profiler = process.env.BENCH_PROFILE ? await startProfiler() : undefined;
    const sustained = await phase(1, MINUTES);
    if (profiler) writeFileSync(String(process.env.BENCH_PROFILE), JSON.stringify(await profiler.stop()));
    const ingestRate = sustained.points / sustained.seconds;
    const filesCreated = service.stats().writer_filesCreated;
    if (process.env.BENCH_DEBUG) console.log(JSON.stringify(service.stats()));
    let alerting: AlertingFigures<Awaited<ReturnType<typeof phase>>> | undefined;
    if (ALERT_PHASE_MINUTES > 0)
      alerting = await ingestWithAlerting({
        url,
        hosts: HOSTS,
        rules: ALERT_RULES,
        fromMinute: MINUTES,
        minutes: ALERT_PHASE_MINUTES,
        storagePhase: phase,
      });
    const flushes = (await service.metrics.registry.getSingleMetric('numeter_storage_write_seconds')?.get())?.values ?? [];
    const flushSum = flushes.find((x) => (x as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0;
    const flushCount = flushes.find((x) => (x as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0;
    await service.stop();

    // Drain: a backlog published while the storage is stopped, then consumed by a new one.
    let drain: { seconds: number; points: number; cpuShare: number } | undefined;
    if (DRAIN_MINUTES > 0) {
      await publishAll(url, DRAIN_FROM, ALL_MINUTES);
      const target = acked + HOSTS * DRAIN_MINUTES;
      service = newService();
      const cpuBefore = process.cpuUsage();
      const started = Date.now();
      await service.start();
      while (acked < target) {
        await new Promise((r) => setTimeout(r, 10));
        const stats = service.stats();
        peakCache = Math.max(peakCache, stats.cache_pendingPoints + stats.cache_writingPoints);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      const seconds = (lastAck - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      drain = { seconds, points: HOSTS * DRAIN_MINUTES * PLUGINS * VALUES, cpuShare: (cpu.user + cpu.system) / 1e6 / seconds };
      await service.stop();
    }

    // Nothing lost: every series holds every minute.
    let missing = 0;
    const missingByMinute = new Map<number, number>();
    const files: string[] = [];
    for (let h = 0; h < HOSTS; h++) {
      const hostDir = (await redisHostDir(config.global.redis_key_prefix, hostId(h))) ?? '';
      for (let p = 0; p < PLUGINS; p++) {
        for (let v = 0; v < VALUES; v++) {
          const file = seriesFile(hostDir, pluginName(p), dsName(v));
          files.push(file);
          const got = fetch(file, T0 - 60, T0 + ALL_MINUTES * 60);
          const known = got?.values.filter((x) => x !== null).length ?? 0;
          missing += ALL_MINUTES - known;
          for (let m = 0; got && known < ALL_MINUTES && m < ALL_MINUTES; m++) {
            const slot = (T0 + m * 60 - got.start) / got.step;
            if (got.values[slot] == null) missingByMinute.set(m, (missingByMinute.get(m) ?? 0) + 1);
          }
        }
      }
    }

    // Reference: the library alone, one updateMany per series with all its points.
    const reference = new WhisperWriter({ maxOpenFiles: files.length + 10, now: () => nowSec });
    const batch: Array<[number, number]> = Array.from({ length: MINUTES }, () => [0, 0]);
    const started = performance.now();
    for (let i = 0; i < files.length; i++) {
      for (let m = 0; m < MINUTES; m++) {
        batch[m][0] = T0 + m * 60;
        batch[m][1] = i + m;
      }
      reference.updateMany(files[i], batch);
    }
    const referenceRate = expectedPoints / ((performance.now() - started) / 1000);
    reference.close();

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `workload: ${HOSTS} hosts × ${PLUGINS} plugins × ${VALUES} values × ${MINUTES} minutes = ${fmt(expectedPoints)} points in ${fmt(expectedMessages)} messages of ${PLUGINS * VALUES} points, then ${DRAIN_MINUTES} minutes drained`,
    );
    console.log(`settings: prefetch ${PREFETCH}, cache max ${fmt(MAX_POINTS)} points, flush at ${fmt(FLUSH_POINTS)} points or 100 ms`);
    console.log(
      `cold (minute 0, creates ${fmt(filesCreated)} files): ${fmt(cold.points / cold.seconds)} points/s, ${cold.seconds.toFixed(2)} s`,
    );
    console.log(
      `sustained (minutes 1..${MINUTES - 1}, existing files): ${fmt(ingestRate)} points/s, ${fmt(sustained.messages / sustained.seconds)} messages/s (${sustained.seconds.toFixed(2)} s first publish → last ack; publisher confirmed all after ${sustained.publishSeconds.toFixed(2)} s)`,
    );
    console.log(
      `storage process CPU during the sustained phase: ${(sustained.cpuShare * 100).toFixed(0)} % of one core = ${fmt(ingestRate / sustained.cpuShare)} points per CPU-second`,
    );
    if (drain)
      console.log(
        `drain (minutes ${DRAIN_FROM}..${ALL_MINUTES - 1} queued while stopped, consumed by a new storage): ${fmt(drain.points / drain.seconds)} points/s, ${drain.seconds.toFixed(2)} s start → last ack, storage CPU ${(drain.cpuShare * 100).toFixed(0)} % of one core = ${fmt(drain.points / drain.seconds / drain.cpuShare)} points per CPU-second`,
      );
    console.log(`sustained publish-to-file latency: p50 ${sustained.p50} ms, p99 ${sustained.p99} ms`);
    console.log(`flushes: ${flushCount}, ${((flushSum / Math.max(flushCount, 1)) * 1000).toFixed(0)} ms each on average`);
    console.log(`reference (WhisperWriter.updateMany, ${MINUTES} points per call, same files): ${fmt(referenceRate)} points/s`);
    console.log(`ratio sustained ingest / reference: ${(ingestRate / referenceRate).toFixed(3)}`);
    console.log(`write cache peak: ${fmt(peakCache)} points (limit ${fmt(MAX_POINTS)}); process RSS peak ${fmt(peakRss / 2 ** 20)} MiB`);
    if (alerting) printAlertingFigures(alerting, HOSTS, ALERT_PHASE_MINUTES);
    console.log(`points missing: ${missing}${missing === 0 ? ' (nothing lost)' : ' (LOST DATA)'}`);
    if (missing !== 0) console.log(`  by minute: ${[...missingByMinute].map(([m, n]) => `${m}: ${n}`).join(', ')}`);
    if (missing !== 0) process.exitCode = 1;
  } finally {
    await service.stop();
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
    await vhost.delete();
  }
}

/** Publishes minutes [from, to) with the publisher child and waits until all are confirmed. */
async function publishAll(url: string, fromMinute: number, toMinute: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--publisher', url, String(fromMinute), String(toMinute)], {
    execArgv: ['--import', 'tsx'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error('the publisher failed');
}

/** BENCH_PROFILE=<file>: a V8 CPU profile of the sustained phase (open it in Chrome DevTools). */
async function startProfiler(): Promise<{ stop(): Promise<unknown> }> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop() {
      const result = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      return result.profile;
    },
  };
}

async function redisHostDir(prefix: string, host: string): Promise<string | null> {
  const redis = new Redis({ lazyConnect: true });
  await redis.connect();
  try {
    return await redis.hget(`${prefix}WSP_PATH`, host);
  } finally {
    await redis.quit();
  }
}

if (process.argv[2] === '--publisher') {
  publisherMain(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  // The storage's ingestion, then the alerting engine's with 10,000 rules (alerting.ts).
  main()
    .then(() => alertingBench())
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
