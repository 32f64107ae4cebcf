/**
 * Carbon plaintext ingestion benchmark. N TCP senders (worker threads) write a fixed number
 * of `path value timestamp` lines as fast as they can into:
 *   1. the reference, same run: a bare socket server that splits the lines and discards them;
 *   2. the carbon module (services/poller/src/modules/carbon) flushing into a real spool
 *      (fsync every second): lines/s accepted into the spool;
 *   3. end to end: the poller (its dist/ entry point, modules = carbon) → spool → RabbitMQ →
 *      numeter-storage (its own process): points/s until the storage wrote them all, zero
 *      loss (written = sent, sample series read back through /render), and the latency
 *      from sending a probe line to `/render` returning it (p50/p99; probes.ts says how it
 *      is estimated). Both children run with the node flags of their launcher line, as
 *      their systemd units run them.
 * Both sides also print lines per CPU-second of the receiving thread (read from /proc: on
 * a shared machine wall-clock rates measure the scheduler as much as the code).
 * Goals: module ≥ 0.5× the bare reader; ≥ 200,000 lines/s into the spool; end to end
 * ≥ 100,000 points/s with nothing lost. Each is printed PASS or FAIL, with the load average.
 *
 * Env: BENCH_CARBON_SENDERS (4), BENCH_CARBON_LINES (1,000,000 for 1 and 2),
 * BENCH_CARBON_E2E_LINES (1,000,000: a run long enough that the pipeline's fixed latency,
 * the 1 s flush interval and the forwarding, which p50/p99 report, does not pass for a
 * throughput limit).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../common/logging/index.js';
import { launcherFlags } from '../../common/testing/launcher-flags.js';
import { createVhost } from '../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../common/testing/redis-prefix.js';
import { ServiceChild } from '../../deploy/local/stack/child.js';
import { writePollerConfig, writeStorageConfig } from '../../deploy/local/stack/configs.js';
import { entryPoint, parentWatch, type StackOptions, type StorageSpec } from '../../deploy/local/stack/options.js';
import { freePort, waitFor, waitForHttp } from '../../deploy/local/stack/probes.js';
import { CarbonModule } from '../../services/poller/src/modules/carbon/module.js';
import { carbonSection } from '../../services/poller/src/modules/carbon/settings.js';
import { Spool } from '../../services/poller/src/spool/index.js';
import { RenderProbes } from './probes.js';
import { linesOf, runSenders, seriesOf, type Workload } from './senders.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const num = (name: string, def: number) => Number(process.env[name] ?? def);
const SENDERS = num('BENCH_CARBON_SENDERS', 4);
const LINES = num('BENCH_CARBON_LINES', 1_000_000);
const E2E_LINES = num('BENCH_CARBON_E2E_LINES', 1_000_000);
const logger = createLogger({ name: 'bench-carbon', level: 'warn' });
const f = (n: number) => Math.round(n).toLocaleString('en-US');

/** 20 hosts × 10 plugins × 10 values = 2,000 series, as many seconds as needed for `lines`. */
function workload(lines: number, start: number, prefix = 'bh'): Workload {
  const w = { senders: SENDERS, hosts: 20, plugins: 10, values: 10, seconds: 1, start, prefix };
  return { ...w, seconds: Math.max(1, Math.round(lines / seriesOf(w))) };
}

/**
 * CPU seconds of this process's main thread (the receiver's: senders are worker threads),
 * from Linux's /proc (clock ticks of 10 ms). On a machine shared with other work, lines per
 * CPU-second of the receiver compare the two sides where wall-clock rates cannot.
 */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Rate {
  linesPerSecond: number;
  linesPerCpuSecond: number;
}

async function bareReader(w: Workload): Promise<Rate> {
  let lines = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const server = createServer((socket) => {
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString('latin1');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        if (text.slice(start, nl).length > 0) lines++;
        start = nl + 1;
      }
      pending = text.slice(start);
      if (lines === linesOf(w)) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const t0 = performance.now();
  const cpu0 = mainThreadCpuSeconds();
  await runSenders((server.address() as AddressInfo).port, w);
  await all;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = mainThreadCpuSeconds() - cpu0;
  await new Promise<void>((r) => server.close(() => r()));
  return { linesPerSecond: linesOf(w) / seconds, linesPerCpuSecond: linesOf(w) / cpu };
}

async function moduleIntoSpool(w: Workload): Promise<Rate & { spoolBytes: number; messages: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'numeter-bench-carbon-'));
  const spool = new Spool({ dir, fsync: 1000, logger, maxBytes: 4 * 1024 * 1024 * 1024 });
  await spool.start();
  const module = new CarbonModule(carbonSection.parse({ listen: '127.0.0.1:0', udp: 'no' }), {
    publish: (messages) => spool.append(messages),
    selfHost: 'bench-self',
    logger,
    nowSeconds: () => Date.now() / 1000,
    refreshSeconds: 3600,
    maxPointsPerMessage: 500,
  });
  try {
    await module.start();
    const t0 = performance.now();
    const cpu0 = mainThreadCpuSeconds();
    await runSenders(module.ports.tcp, w);
    // Once every line is read, flush as a clean stop does, instead of waiting up to a whole
    // flush_interval (1 s, 20 % of a 5 s run) for the timer.
    await waitFor('every line read', async () => (module.stats().lines >= linesOf(w) ? true : undefined), 600_000, 2);
    await module.flush();
    await waitFor('every line in the spool', async () => (module.stats().valuesSpooled >= linesOf(w) ? true : undefined), 600_000, 5);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = mainThreadCpuSeconds() - cpu0;
    const refused = module.stats().refused;
    if (refused > 0) throw new Error(`${refused} lines refused: ${JSON.stringify(module.refusals())}`);
    return {
      linesPerSecond: linesOf(w) / seconds,
      linesPerCpuSecond: linesOf(w) / cpu,
      spoolBytes: spool.stats().bytes,
      messages: spool.stats().records,
    };
  } finally {
    await module.stop();
    await spool.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(undefined));
  });
}

async function ingested(api: string): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('numeter_storage_points_ingested_total'));
  return Number(line?.split(' ').pop() ?? 0);
}

interface EndToEnd {
  pointsPerSecond: number;
  sent: number;
  written: number;
  sampleMissing: number;
  sampleChecked: number;
  p50: number;
  p99: number;
  probes: number;
  probeWindowMs: number;
  probesUnseen: number;
}

async function endToEnd(lines: number): Promise<EndToEnd> {
  const vhost = await createVhost('bench-carbon');
  const stateDir = mkdtempSync(join(tmpdir(), 'numeter-bench-carbon-e2e-'));
  const prefix = `bench-carbon-${process.pid}:`;
  const carbonPort = await freePort();
  const storage: StorageSpec = {
    name: 'benchcarbon',
    apiPort: await freePort(),
    extra: { whisper: { sparse: 'true' }, amqp: { prefetch: '2000' }, global: { log_level: 'warning' } },
  };
  const options = {
    root: ROOT,
    stateDir,
    amqpUrl: vhost.url,
    redis: { host: '127.0.0.1', port: 6379, db: 0, prefix },
    storages: [storage],
    retentions: '1s:10m',
  } as unknown as StackOptions;
  const api = `http://127.0.0.1:${storage.apiPort}/numeter-storage`;
  const children = [
    new ServiceChild({
      name: 'storage',
      script: entryPoint(ROOT, 'storage'),
      args: ['--config', writeStorageConfig(options, storage)],
      logFile: join(stateDir, 'storage.log'),
      preload: [parentWatch(ROOT)],
      nodeFlags: launcherFlags(entryPoint(ROOT, 'storage')),
    }),
    new ServiceChild({
      name: 'poller',
      script: entryPoint(ROOT, 'poller'),
      args: [
        '--config',
        writePollerConfig(options, {
          name: 'carbon',
          hostId: 'bench-carbon-poller',
          pollerTime: 60,
          modules: 'carbon',
          extra: {
            global: { log_level: 'warning', forward_window: '500' },
            CarbonModule: { listen: `127.0.0.1:${carbonPort}`, udp: 'no' },
          },
        }),
      ],
      logFile: join(stateDir, 'poller.log'),
      preload: [parentWatch(ROOT)],
      nodeFlags: launcherFlags(entryPoint(ROOT, 'poller')),
    }),
  ];
  try {
    for (const child of children) child.start();
    await waitForHttp(`${api}/health`, 60_000, () => children[0].running);
    const start = Math.floor(Date.now() / 1000) - 560;
    // Untimed: one second of every series creates the files (a one-time cost, see bench/ingest).
    const warm = workload(1, start - 1);
    await waitFor('the poller listening', () => canConnect(carbonPort), 30_000, 100);
    await runSenders(carbonPort, warm);
    await waitFor('the files created', async () => ((await ingested(api)) >= seriesOf(warm) ? true : undefined), 300_000, 100);
    const before = await ingested(api);
    const w = workload(lines, start);
    const probes = new RenderProbes(api, carbonPort);
    probes.start();
    const t0 = performance.now();
    const sent = await runSenders(carbonPort, w);
    // The storage counts the probes' points too. Until the end, the probes seen through
    // /render are taken off (those in flight, a few dozen at most, may end the wait that
    // much early); once every probe arrived, the count is exact.
    await waitFor(
      'every line written',
      async () => ((await ingested(api)) - before - probes.count >= sent ? true : undefined),
      600_000,
      50,
    );
    const seconds = (performance.now() - t0) / 1000;
    await probes.stop(20_000);
    const written = (await ingested(api)) - before - probes.sentCount;
    // Zero loss, read back through the Graphite API: every second of a sample of series.
    let sampleMissing = 0;
    let sampleChecked = 0;
    for (let i = 0; i < 10; i++) {
      const [h, p, v] = [(i * 7) % w.hosts, i % w.plugins, (i * 3) % w.values];
      const r = await fetch(`${api}/render?target=bh${h}.p${p}.v${v}&from=${start - 1}&until=${start + w.seconds}&format=json`);
      const [series] = (await r.json()) as Array<{ datapoints: Array<[number | null, number]> }>;
      const got = new Map((series?.datapoints ?? []).map(([value, ts]) => [ts, value]));
      for (let t = 0; t < w.seconds; t++) {
        sampleChecked++;
        if (got.get(start + t) !== h + p + v + t) sampleMissing++;
      }
    }
    return {
      pointsPerSecond: sent / seconds,
      sent,
      written,
      sampleMissing,
      sampleChecked,
      p50: probes.percentile(0.5),
      p99: probes.percentile(0.99),
      probes: probes.count,
      probeWindowMs: probes.widestWindowMs,
      probesUnseen: probes.pending,
    };
  } finally {
    for (const child of children.reverse()) await child.stop(15_000);
    await vhost.delete().catch(() => {});
    await deleteRedisPrefix(prefix).catch(() => 0);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const start = Math.floor(Date.now() / 1000) - 3600;
const w = workload(LINES, start);
console.log(`workload: ${SENDERS} TCP senders, ${f(linesOf(w))} lines (${f(seriesOf(w))} series × ${w.seconds} s); load average ${load()}`);
const bare = await bareReader(w);
console.log(
  `reference, bare socket reader (split lines, discard): ${f(bare.linesPerSecond)} lines/s; ${f(bare.linesPerCpuSecond)} lines per CPU-second of the receiving thread`,
);
const spooled = await moduleIntoSpool(w);
const ratio = spooled.linesPerSecond / bare.linesPerSecond;
console.log(
  `carbon module into the spool: ${f(spooled.linesPerSecond)} lines/s (${ratio.toFixed(2)}× the bare reader) — ${f(spooled.messages)} messages, ${f(spooled.spoolBytes / 1024 / 1024)} MiB of spool`,
);
console.log(
  `  per CPU-second of the receiving thread: ${f(spooled.linesPerCpuSecond)} lines (${(spooled.linesPerCpuSecond / bare.linesPerCpuSecond).toFixed(2)}× the bare reader's) — load average ${load()}`,
);
const e2e = await endToEnd(E2E_LINES);
const lost = e2e.written < e2e.sent || e2e.sampleMissing > 0;
console.log(
  `end to end (poller → spool → RabbitMQ → storage): ${f(e2e.pointsPerSecond)} points/s; sent ${f(e2e.sent)}, written ${f(e2e.written)}; ` +
    `sample read back through /render: missing ${e2e.sampleMissing} of ${f(e2e.sampleChecked)}; send → /render latency p50 ${e2e.p50.toFixed(0)} ms, p99 ${e2e.p99.toFixed(0)} ms (${e2e.probes} probes, each ± ${(e2e.probeWindowMs / 2).toFixed(0)} ms at most; ${e2e.probesUnseen} never seen) — load average ${load()}`,
);
const goals: Array<[string, boolean, string]> = [
  ['carbon module ≥ 0.5× the bare reader', ratio >= 0.5, `${ratio.toFixed(2)}×`],
  ['≥ 200,000 lines/s into the spool', spooled.linesPerSecond >= 200_000, `${f(spooled.linesPerSecond)} lines/s wall clock`],
  [
    'end to end ≥ 100,000 points/s, nothing lost',
    e2e.pointsPerSecond >= 100_000 && !lost,
    `${f(e2e.pointsPerSecond)} points/s, ${lost ? 'LOSS' : 'nothing lost'}`,
  ],
];
for (const [goal, pass, figure] of goals) console.log(`${verdict(pass)}  ${goal}: ${figure}`);
if (lost) {
  console.log('LOSS: some lines were not stored');
  process.exitCode = 1;
}
