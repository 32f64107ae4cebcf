/**
 * End-to-end benchmark: simulated pollers publish through RabbitMQ into numeter-storage
 * running as a separate process (its dist/ entry point, as deployed), on this machine.
 * Workload: HOSTS × PLUGINS × VALUES series, ROUNDS polls (one data message per host and
 * poll, every plugin in it), published as fast as the broker confirms.
 * Measured: sustained points/s from the first publish until every point is written (zero
 * loss checked: points written = points published, nothing dead-lettered, a sample of files
 * read back with python3-whisper); publish-to-graph latency p50/p99 (a probe host's point
 * published during the load until the storage REST API returns it); the storage's peak RSS.
 * Then the same workload with 2 storage processes, each taking half of the hosts.
 * Reference (same run): the broker alone — the same messages published and consumed by a
 * consumer that only acknowledges — printed as a ratio.
 *
 * A first poll, not timed, creates every file (file creation is a one-time cost per series,
 * measured by bench/ingest); the ROUNDS polls after it are timed.
 *
 * Env: BENCH_E2E_HOSTS (60), BENCH_E2E_PLUGINS (20), BENCH_E2E_VALUES (5), BENCH_E2E_ROUNDS (30).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { DEAD_QUEUE, EXCHANGE, EXCHANGE_TYPE } from '../../common/bus/index.js';
import { createVhost } from '../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../common/testing/redis-prefix.js';
import { ServiceChild } from '../../deploy/local/stack/child.js';
import { writeStorageConfig } from '../../deploy/local/stack/configs.js';
import type { StackOptions, StorageSpec } from '../../deploy/local/stack/options.js';
import { entryPoint, parentWatch } from '../../deploy/local/stack/options.js';
import { freePort, GiveUpError, getJson, waitFor, waitForHttp } from '../../deploy/local/stack/probes.js';
import { hostDirectory, seriesFile } from '../../services/storage/src/files/layout.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const num = (name: string, def: number) => Number(process.env[name] ?? def);
const HOSTS = num('BENCH_E2E_HOSTS', 60);
const PLUGINS = num('BENCH_E2E_PLUGINS', 20);
const VALUES = num('BENCH_E2E_VALUES', 5);
const ROUNDS = num('BENCH_E2E_ROUNDS', 30);
const SERIES = HOSTS * PLUGINS * VALUES;
/** Points of the timed polls (a first, untimed poll creates every file). */
const TOTAL = SERIES * ROUNDS;
/** A probe point every this many milliseconds, for the publish-to-graph latency. */
const PROBE_MS = 200;
const hostName = (h: number) => `bench-e2e-h${h}`;

function message(h: number, timestamp: number): Buffer {
  const points = [];
  for (let p = 0; p < PLUGINS; p++) {
    const values: Record<string, number> = {};
    for (let v = 0; v < VALUES; v++) values[`v${v}`] = h + p + v + (timestamp % 1000);
    points.push({ plugin: `p${p}`, timestamp, values });
  }
  return Buffer.from(JSON.stringify({ v: 1, kind: 'data', hostId: hostName(h), points }));
}

async function publishAll(url: string, start: number, rounds: [number, number] = [1, ROUNDS]): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange(EXCHANGE, EXCHANGE_TYPE, { durable: true });
  for (let r = rounds[0]; r <= rounds[1]; r++) {
    for (let h = 0; h < HOSTS; h++) {
      if (
        !channel.publish(EXCHANGE, hostName(h), message(h, start + r), {
          contentType: 'application/json',
          persistent: true,
          messageId: `${h}|${r}`,
        })
      ) {
        await new Promise((ok) => channel.once('drain', ok));
      }
    }
    await channel.waitForConfirms();
  }
  await connection.close();
}

/** The broker alone: publish the workload, consume with ack only. Points/s. */
async function reference(): Promise<number> {
  const v = await createVhost('bench-e2e');
  try {
    const connection = await amqp.connect(v.url);
    const channel = await connection.createChannel();
    await channel.assertExchange(EXCHANGE, EXCHANGE_TYPE, { durable: true });
    const { queue } = await channel.assertQueue('bench-ref', { durable: true });
    await channel.bindQueue(queue, EXCHANGE, '#');
    await channel.prefetch(500);
    let consumed = 0;
    const done = new Promise<void>((ok) => {
      channel.consume(queue, (m) => {
        if (!m) return;
        channel.ack(m);
        if (++consumed === HOSTS * ROUNDS) ok();
      });
    });
    const t0 = performance.now();
    await publishAll(v.url, Math.floor(Date.now() / 1000) - ROUNDS - 5);
    await done;
    const seconds = (performance.now() - t0) / 1000;
    await connection.close();
    return TOTAL / seconds;
  } finally {
    await v.delete().catch(() => {});
  }
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && /^[a-z_]+(\{[^}]*\})? /.test(line) && line.split(/[ {]/)[0] === name)
      total += Number(line.split(' ').pop());
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface RunResult {
  pointsPerSecond: number;
  seconds: number;
  written: number;
  dead: number;
  latency: { p50: number; p99: number; samples: number };
  rssMiB: number[];
  sampleChecked: number;
  sampleMissing: number;
}

async function runStorages(processes: number): Promise<RunResult> {
  const v = await createVhost('bench-e2e');
  const stateDir = mkdtempSync(join(tmpdir(), 'numeter-bench-e2e-'));
  const prefix = `bench-e2e-${randomBytes(4).toString('hex')}:`;
  const hostsOf = (i: number) =>
    Array.from({ length: HOSTS }, (_, h) => h)
      .filter((h) => h % processes === i)
      .map(hostName);
  const storages: StorageSpec[] = [];
  for (let i = 0; i < processes; i++) {
    storages.push({
      name: `bench${i}`,
      apiPort: await freePort(),
      hostList: [...hostsOf(i), ...(i === 0 ? ['bench-e2e-probe'] : [])],
      extra: { whisper: { sparse: 'true' }, amqp: { prefetch: '2000' }, global: { log_level: 'warning' } },
    });
  }
  const options = {
    root: ROOT,
    stateDir,
    amqpUrl: v.url,
    redis: { host: '127.0.0.1', port: 6379, db: 0, prefix },
    storages,
    retentions: '1s:10m',
  } as unknown as StackOptions;
  let aborted = false;
  const children = storages.map((spec) => ({
    spec,
    child: new ServiceChild({
      name: spec.name,
      script: entryPoint(ROOT, 'storage'),
      args: ['--config', writeStorageConfig(options, spec)],
      logFile: join(stateDir, `${spec.name}.log`),
      preload: [parentWatch(ROOT)],
    }),
    api: `http://127.0.0.1:${spec.apiPort}/numeter-storage`,
  }));
  try {
    for (const c of children) c.child.start();
    for (const c of children) await waitForHttp(`${c.api}/health`, 60_000, () => c.child.running);
    const start = Math.floor(Date.now() / 1000) - ROUNDS - 5;
    const ingested = async () => {
      let sum = 0;
      for (const c of children) sum += await metricValue(`${c.api}/metrics`, 'numeter_storage_points_ingested_total');
      return sum;
    };
    await publishAll(v.url, start, [0, 0]);
    await waitFor('the first poll (file creation)', async () => ((await ingested()) >= SERIES ? true : undefined), 600_000, 100);
    const peak = children.map(() => 0);
    const sampler = setInterval(() => {
      children.forEach((c, i) => {
        try {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.child.pid}/status`, 'utf8'))?.[1] ?? 0);
          peak[i] = Math.max(peak[i], kb / 1024);
        } catch {
          // exited
        }
      });
    }, 100);
    const t0 = performance.now();
    const publishing = publishAll(v.url, start);
    // Probe: one point at a time from another host, until the REST API returns it.
    const latencies: number[] = [];
    /** True until every point of the load is written: probes are sent meanwhile. */
    let loading = true;
    let probesSent = 0;
    const probe = (async () => {
      const connection = await amqp.connect(v.url);
      const channel = await connection.createConfirmChannel();
      let ts = Math.floor(Date.now() / 1000) - 550; // inside the 10-minute archive, one second per probe
      // The API serves plugins it has info for: describe the probe plugin first.
      const info = {
        v: 1,
        kind: 'info',
        hostId: 'bench-e2e-probe',
        plugin: 'probe',
        timestamp: ts,
        title: 'probe',
        fields: { v: { label: 'v', type: 'GAUGE' } },
      };
      channel.publish(EXCHANGE, 'bench-e2e-probe', Buffer.from(JSON.stringify(info)), {
        contentType: 'application/json',
        persistent: true,
      });
      // One probe point every PROBE_MS while the load runs (and until the backlog is written),
      // each timed from its publish until the REST API returns it.
      const first = ts + 1;
      const sentAt = new Map<number, number>();
      const publisher = setInterval(() => {
        if (!loading && sentAt.size >= 5) return;
        ts++;
        const body = Buffer.from(
          JSON.stringify({
            v: 1,
            kind: 'data',
            hostId: 'bench-e2e-probe',
            points: [{ plugin: 'probe', timestamp: ts, values: { v: ts } }],
          }),
        );
        sentAt.set(ts, performance.now());
        probesSent++;
        channel.publish(EXCHANGE, 'bench-e2e-probe', body, { contentType: 'application/json', persistent: true });
      }, PROBE_MS);
      const seen = new Set<number>();
      try {
        await waitFor(
          'every probe point in the REST API',
          async () => {
            if (aborted) throw new GiveUpError('the benchmark failed');
            const r = await getJson<{ TS_start: number; TS_step: number; DATAS: Record<string, Array<number | null>> }>(
              `${children[0].api}/data?host=bench-e2e-probe&plugin=probe&ds=v&from=${first - 1}&until=${ts + 1}`,
            );
            const now = performance.now();
            if (r.status === 200) {
              for (const value of r.body.DATAS.v ?? []) {
                if (value === null || seen.has(value) || !sentAt.has(value)) continue;
                seen.add(value);
                latencies.push(now - (sentAt.get(value) ?? now));
              }
            }
            return !loading && sentAt.size >= 5 && seen.size === sentAt.size ? true : undefined;
          },
          600_000,
          10,
        );
      } finally {
        clearInterval(publisher);
      }
      await connection.close();
    })();
    probe.catch(() => {}); // awaited below, inside this try, so a failure still cleans up
    await publishing;
    const written = await waitFor(
      'every point written',
      async () => {
        const sum = (await ingested()) - SERIES - probesSent;
        return sum >= TOTAL ? sum : undefined;
      },
      600_000,
      50,
    );
    const seconds = (performance.now() - t0) / 1000;
    loading = false;
    await probe;
    clearInterval(sampler);
    let dead = 0;
    for (const c of children) dead += await metricValue(`${c.api}/metrics`, 'numeter_storage_dead_letters_total');
    const connection = await amqp.connect(v.url);
    const ch = await connection.createChannel();
    dead += (await ch.checkQueue(DEAD_QUEUE).catch(() => ({ messageCount: 0 }))).messageCount;
    await connection.close();
    // Zero loss, checked in the files: a sample of series read back by the reference.
    const sample: Array<{ file: string; h: number }> = [];
    for (let i = 0; i < 20; i++) {
      const h = (i * 7919) % HOSTS;
      const c = children[h % processes];
      sample.push({
        file: seriesFile(
          hostDirectory(join(stateDir, 'storage', c.spec.name, 'wsps'), hostName(h), 2),
          `p${i % PLUGINS}`,
          `v${i % VALUES}`,
        ),
        h,
      });
    }
    for (const c of children) await c.child.stop(30_000);
    const script =
      'import json,sys,whisper\nfor f in json.load(sys.stdin):\n    (a,b,s),v=whisper.fetch(f,int(sys.argv[1]),int(sys.argv[2]))\n    print(sum(1 for x in v if x is not None))';
    const { stdout } = await new Promise<{ stdout: string }>((ok, ko) => {
      const child = execFile('/usr/bin/python3', ['-c', script, String(start - 1), String(start + ROUNDS)], (error, out) =>
        error ? ko(error) : ok({ stdout: out }),
      );
      child.stdin?.end(JSON.stringify(sample.map((s) => s.file)));
    });
    const counts = stdout.trim().split('\n').map(Number);
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      pointsPerSecond: TOTAL / seconds,
      seconds,
      written,
      dead,
      latency: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length },
      rssMiB: peak,
      sampleChecked: counts.length,
      sampleMissing: counts.reduce((a, n) => a + (ROUNDS + 1 - n), 0),
    };
  } finally {
    aborted = true;
    for (const c of children) await c.child.stop(10_000);
    await v.delete().catch(() => {});
    await deleteRedisPrefix(prefix);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function show(label: string, r: RunResult, ref: number): void {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `${label}: ${f(r.pointsPerSecond)} points/s (${(r.pointsPerSecond / ref).toFixed(2)}× the broker alone) in ${r.seconds.toFixed(1)} s; ` +
      `written ${f(r.written)}/${f(TOTAL)}, dead-lettered ${r.dead}, sample files missing ${r.sampleMissing} of ${r.sampleChecked * (ROUNDS + 1)} points; ` +
      `publish-to-graph latency p50 ${r.latency.p50.toFixed(0)} ms, p99 ${r.latency.p99.toFixed(0)} ms (${r.latency.samples} probes); ` +
      `peak RSS ${r.rssMiB.map((m) => `${m.toFixed(0)} MiB`).join(' + ')}`,
  );
}

// A stopped benchmark stops its storages too ('exit' handlers do not run on a signal).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
console.log(
  `workload: ${HOSTS} hosts × ${PLUGINS} plugins × ${VALUES} values = ${SERIES.toLocaleString('en-US')} series; 1 untimed poll creating the files, then ${ROUNDS} timed polls = ${TOTAL.toLocaleString('en-US')} points, ${HOSTS * ROUNDS} messages`,
);
const ref = await reference();
console.log(`reference, the broker alone (publish with confirms, consume with ack): ${Math.round(ref).toLocaleString('en-US')} points/s`);
const one = await runStorages(1);
show('1 storage process ', one, ref);
const two = await runStorages(2);
show('2 storage processes', two, ref);
console.log(`2 processes / 1 process: ${(two.pointsPerSecond / one.pointsPerSecond).toFixed(2)}×`);
const lost = one.written < TOTAL || two.written < TOTAL || one.sampleMissing > 0 || two.sampleMissing > 0 || one.dead > 0 || two.dead > 0;
if (lost) {
  console.log('LOSS: some points were not stored');
  process.exitCode = 1;
}
