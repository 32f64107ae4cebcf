/**
 * The measured part of bench/poller/main.ts, run in its own process (bundled and run
 * with plain node, as a compiled poller runs): N poll cycles back to back over the munin
 * module and the system module into a real spool. Prints one JSON line of figures.
 * Argument: a JSON object { port, polls, dir, intervalSeconds, refreshSeconds }.
 */
import { join } from 'node:path';
import { silentLogger } from '../../common/logging/index.js';
import { SpoolSink } from '../../services/poller/src/delivery/sinks.js';
import { MuninModule } from '../../services/poller/src/modules/munin/module.js';
import { SystemModule } from '../../services/poller/src/modules/system/module.js';
import { PollCycle } from '../../services/poller/src/polling/poll-cycle.js';
import { RateStateFile } from '../../services/poller/src/rates/state-file.js';
import { Spool } from '../../services/poller/src/spool/index.js';

export interface PollLoopFigures {
  cpuSecondsPerPoll: number;
  wallSecondsPerPoll: number;
  rssMaxBytes: number;
  valuesPerPoll: number;
  messagesPerPoll: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as {
  port: number;
  polls: number;
  dir: string;
  intervalSeconds: number;
  refreshSeconds: number;
};
const spool = new Spool({ dir: join(options.dir, 'spool'), logger: silentLogger() });
await spool.start();
let clock = 1_800_000_000;
const cycle = new PollCycle({
  self: { hostId: 'bench-poller', name: 'bench' },
  modules: [
    new MuninModule({
      host: '127.0.0.1',
      port: options.port,
      connectTimeoutMs: 5000,
      readTimeoutMs: 30_000,
      maxLineLength: 65536,
      maxLines: 20000,
      pluginsEnable: /^/,
      maxReconnects: 3,
      logger: silentLogger(),
      nowSeconds: () => clock,
    }),
    new SystemModule({ root: '/' }),
  ],
  sink: new SpoolSink(spool),
  rates: new RateStateFile({ file: join(options.dir, 'rates.json'), logger: silentLogger() }),
  refreshSeconds: options.refreshSeconds,
  heartbeatSeconds: 10 * options.intervalSeconds,
  maxPointsPerMessage: 500,
  logger: silentLogger(),
  nowSeconds: () => clock,
});
for (let i = 0; i < 3; i++) {
  await cycle.run(); // warm-up: JIT, first counter readings
  clock += options.intervalSeconds;
}
let cpu = 0;
let rssMax = 0;
let values = 0;
let messages = 0;
const wallStart = performance.now();
for (let i = 0; i < options.polls; i++) {
  const start = process.cpuUsage();
  const result = await cycle.run();
  const used = process.cpuUsage(start);
  cpu += (used.user + used.system) / 1e6;
  values += result.collected;
  messages += result.messages;
  clock += options.intervalSeconds;
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}
await spool.stop();
const figures: PollLoopFigures = {
  cpuSecondsPerPoll: cpu / options.polls,
  wallSecondsPerPoll: (performance.now() - wallStart) / 1000 / options.polls,
  rssMaxBytes: rssMax,
  valuesPerPoll: values / options.polls,
  messagesPerPoll: messages / options.polls,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
