/**
 * The measured part of bench/munin-central: a central munin module over the simulated
 * nodes, in PollCycles into a real spool with rates, in its own process (bundled, run by
 * plain node). One warm-up poll, then `polls` measured ones. Prints one JSON line.
 * Argument: a JSON object { ports, polls, dir, maxParallel, intervalSeconds, refreshSeconds }.
 */
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { silentLogger } from '../../common/logging/index.js';
import { SpoolSink } from '../../services/poller/src/delivery/sinks.js';
import { MuninCentralModule } from '../../services/poller/src/modules/munin/central.js';
import { PollCycle } from '../../services/poller/src/polling/poll-cycle.js';
import { RateStateFile } from '../../services/poller/src/rates/state-file.js';
import { Spool } from '../../services/poller/src/spool/index.js';

export interface CentralLoopFigures {
  cpuSecondsPerPoll: number;
  wallSecondsPerPoll: number;
  rssMaxBytes: number;
  valuesPerPoll: number;
  moduleErrors: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as {
  ports: number[];
  polls: number;
  dir: string;
  maxParallel: number;
  intervalSeconds: number;
  refreshSeconds: number;
};
const spool = new Spool({ dir: join(options.dir, 'spool'), logger: silentLogger(), maxBytes: 4 * 1024 * 1024 * 1024 });
await spool.start();
let clock = 1_800_000_000;
const module = new MuninCentralModule({
  nodes: options.ports.map((port, i) => ({
    hostId: `sim-${i}.bench`,
    name: `sim-${i}.bench`,
    group: 'bench',
    address: '127.0.0.1',
    port,
    useNodeName: true,
  })),
  session: { connectTimeoutMs: 5000, readTimeoutMs: 30_000, maxLineLength: 65536, maxLines: 20000 },
  pluginsEnable: /^/,
  maxReconnects: 3,
  maxParallel: options.maxParallel,
  nodeTimeoutMs: 240_000,
  logger: silentLogger(),
  nowSeconds: () => clock,
});
const cycle = new PollCycle({
  self: { hostId: 'bench-central', name: 'bench' },
  modules: [module],
  sink: new SpoolSink(spool),
  rates: new RateStateFile({ file: join(options.dir, 'rates.json'), logger: silentLogger() }),
  refreshSeconds: options.refreshSeconds,
  heartbeatSeconds: 10 * options.intervalSeconds,
  maxPointsPerMessage: 500,
  logger: silentLogger(),
  nowSeconds: () => clock,
});
// BENCH_DEBUG: heap peaks per poll on stderr (sampled every 20 ms).
const peaks = { heapUsed: 0, heapTotal: 0, external: 0, rss: 0 };
const sampler = setInterval(() => {
  if (!process.env.BENCH_DEBUG) return;
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks) as Array<keyof typeof peaks>) peaks[key] = Math.max(peaks[key], usage[key]);
}, 20);
const debug = (what: string) => {
  const mb = (n: number) => (n / 1048576).toFixed(1);
  if (process.env.BENCH_DEBUG)
    process.stderr.write(
      `${what}: peaks: heap used ${mb(peaks.heapUsed)} total ${mb(peaks.heapTotal)} external ${mb(peaks.external)} rss ${mb(peaks.rss)} MB; rss now ${mb(process.memoryUsage().rss)} MB\n`,
    );
  for (const key of Object.keys(peaks) as Array<keyof typeof peaks>) peaks[key] = 0;
};
debug('start');
await cycle.run(); // warm-up: JIT, first counter readings, plugin infos
debug('warm-up');
clock += options.intervalSeconds;
let cpu = 0;
let wall = 0;
let rssMax = process.memoryUsage().rss;
let values = 0;
let errors = 0;
for (let i = 0; i < options.polls; i++) {
  const start = process.cpuUsage();
  const began = performance.now();
  const result = await cycle.run();
  wall += (performance.now() - began) / 1000;
  const used = process.cpuUsage(start);
  cpu += (used.user + used.system) / 1e6;
  values += result.collected;
  errors += result.moduleErrors;
  clock += options.intervalSeconds;
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  debug(`poll ${i}`);
}
clearInterval(sampler);
(globalThis as { gc?: () => void }).gc?.();
if (process.env.BENCH_DEBUG)
  process.stderr.write(
    `heap after gc ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB rss ${(process.memoryUsage().rss / 1048576).toFixed(1)} MB\n`,
  );
// BENCH_HEAP_SNAPSHOT=FILE: what stays live between polls, for `node --inspect`-less digging.
if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
await spool.stop();
const figures: CentralLoopFigures = {
  cpuSecondsPerPoll: cpu / options.polls,
  wallSecondsPerPoll: wall / options.polls,
  rssMaxBytes: rssMax,
  valuesPerPoll: values / options.polls,
  moduleErrors: errors,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
