/**
 * Poller budget: with 30 munin plugins (a real munin-node on 127.0.0.1:24951 with 30
 * cheap deterministic plugins) and the system module, at a 60 s interval, the poller must
 * use under 1% of one core and under 80 MB RSS; the spool must replay a 24-hour backlog
 * (1,440 polls) in under a minute.
 *
 * The poll cycle (munin protocol, parsing, rates, validation, spool append) runs N times
 * back to back in this process; CPU time per poll (process.cpuUsage) is scaled to the
 * 60 s interval. Reference, same run: a bare munin session doing the same commands
 * without parsing or anything after it, to show what the poller adds to the protocol
 * cost. munin-node's own CPU (it forks each plugin) is not the poller's and is not counted.
 * RSS: when this file runs under tsx (npm run bench), the TypeScript loader itself costs
 * about 35 MB that a compiled poller (dist/) does not have; the loader's cost is measured in
 * the same run (an empty process with and without it) and taken off, and both are printed.
 * Env: POLLER_BENCH_POLLS (10).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { silentLogger } from '../../common/logging/index.js';
import { PollCycle } from '../../services/poller/src/core/poll.js';
import { SpoolSink } from '../../services/poller/src/core/sinks.js';
import { MuninModule } from '../../services/poller/src/modules/munin/module.js';
import { MuninSession } from '../../services/poller/src/modules/munin/session.js';
import { SystemModule } from '../../services/poller/src/modules/system/module.js';
import { RateStateFile } from '../../services/poller/src/rates/state-file.js';
import { Spool } from '../../services/poller/src/spool/index.js';
import { startMuninNode } from '../../services/poller/test/peers/munin-node.js';

const PORT = 24951;
const PLUGINS = 30;
const POLLS = Number(process.env.POLLER_BENCH_POLLS ?? 10);
const REFERENCE_RUNS = 3;
const INTERVAL_S = 60;
const REFRESH_S = 300;
const BUDGET = { cpuShare: 0.01, rssMb: 80, replaySeconds: 60 };
const SESSION = { host: '127.0.0.1', port: PORT, connectTimeoutMs: 5000, readTimeoutMs: 30_000, maxLineLength: 65536, maxLines: 20000 };

/** A cheap plugin: 6 fields (2 DERIVE), dirtyconfig-aware like modern munin plugins. */
function cheapPlugin(n: number): string {
  const config = ['graph_title Cheap plugin ' + n, 'graph_category bench', 'graph_vlabel units', 'rx.label rx', 'rx.type DERIVE', 'rx.min 0', 'tx.label tx', 'tx.type DERIVE', 'tx.min 0', 'a.label a', 'b.label b', 'c.label c', 'd.label d'];
  const values = ['rx.value 1000', 'tx.value 2000', 'a.value 1.5', 'b.value 2', 'c.value 3', 'd.value U'];
  return `#!/bin/sh\nif [ "$1" = config ]; then\nprintf '%s\\n' ${config.map((l) => `'${l}'`).join(' ')}\n[ "$MUNIN_CAP_DIRTYCONFIG" = 1 ] && printf '%s\\n' ${values.map((l) => `'${l}'`).join(' ')}\nexit 0\nfi\nprintf '%s\\n' ${values.map((l) => `'${l}'`).join(' ')}\n`;
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

async function bareSessionCpu(): Promise<number> {
  const start = process.cpuUsage();
  const session = await MuninSession.open(SESSION);
  await session.cap(['multigraph', 'dirtyconfig']);
  for (const plugin of await session.list()) await session.config(plugin);
  session.close();
  return cpuSeconds(process.cpuUsage(start));
}

async function main(): Promise<void> {
  const extraPlugins = Object.fromEntries(Array.from({ length: PLUGINS }, (_, i) => [`bench_${String(i).padStart(2, '0')}`, cheapPlugin(i)]));
  const node = await startMuninNode({ port: PORT, pluginFiles: [], extraPlugins });
  const dir = await mkdtemp(join(tmpdir(), 'numeter-bench-poller-'));
  const spool = new Spool({ dir: join(dir, 'spool'), logger: silentLogger() });
  try {
    await spool.start();
    let clock = 1_800_000_000;
    const munin = new MuninModule({ ...SESSION, pluginsEnable: /^/, maxReconnects: 3, logger: silentLogger(), now: () => clock });
    const cycle = new PollCycle({
      self: { hostId: 'bench-poller', name: 'bench' },
      modules: [munin, new SystemModule({ root: '/' })],
      sink: new SpoolSink(spool),
      rates: new RateStateFile({ file: join(dir, 'rates.json'), logger: silentLogger() }),
      refreshSeconds: REFRESH_S,
      heartbeatSeconds: 600,
      maxPointsPerMessage: 500,
      logger: silentLogger(),
      now: () => clock,
    });
    for (let i = 0; i < 3; i++) {
      await cycle.run(); // warm-up: JIT, first counters, first info
      clock += INTERVAL_S;
    }
    let ours = 0;
    let reference = 0;
    let rssMax = 0;
    let messages = 0;
    let refreshMessages = 0;
    let collected = 0;
    const wallStart = performance.now();
    for (let i = 0; i < POLLS; i++) {
      const start = process.cpuUsage();
      const result = await cycle.run();
      ours += cpuSeconds(process.cpuUsage(start));
      if (result.refreshed) refreshMessages += result.messages;
      else messages += result.messages;
      collected += result.collected;
      clock += INTERVAL_S;
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const wallPerPoll = (performance.now() - wallStart) / 1000 / POLLS;
    for (let i = 0; i < REFERENCE_RUNS; i++) reference += (await bareSessionCpu()) / REFERENCE_RUNS;
    const perPoll = ours / POLLS;
    const share = perPoll / INTERVAL_S;
    const loader = loaderOverheadMb();
    const rssMb = rssMax / 1024 / 1024 - loader;
    const refreshes = Math.max(1, Math.floor((POLLS * INTERVAL_S) / REFRESH_S));
    const messagesPerPoll = Math.ceil(messages / (POLLS - refreshes) + refreshMessages / POLLS);
    console.log(`poller: ${PLUGINS} munin plugins + system module, ${POLLS} polls back to back, ${Math.round(collected / POLLS)} values per poll, ${messagesPerPoll} messages per poll`);
    console.log(`  CPU per poll            ${(perPoll * 1000).toFixed(1)} ms (wall ${(wallPerPoll * 1000).toFixed(0)} ms, mostly munin-node forking plugins)`);
    console.log(`  reference (bare session) ${((reference) * 1000).toFixed(1)} ms   ratio poller/reference ${(perPoll / (reference)).toFixed(2)}`);
    console.log(`  CPU at a 60 s interval  ${(share * 100).toFixed(3)} % of one core   budget 1 %     ratio ${(share / BUDGET.cpuShare).toFixed(3)}`);
    console.log(`  RSS (max)               ${rssMb.toFixed(1)} MB                 budget 80 MB   ratio ${(rssMb / BUDGET.rssMb).toFixed(3)}   (process ${(rssMax / 1048576).toFixed(1)} MB less ${loader.toFixed(1)} MB of TypeScript loader)`);
    await spoolReplay(messagesPerPoll);
  } finally {
    await spool.stop().catch(() => {});
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** RSS an empty process gains from the loader this one runs under (0 when compiled). */
function loaderOverheadMb(): number {
  const loaded = process.execArgv.join(' ').includes('tsx');
  if (!loaded) return 0;
  const rss = (args: string[]) => Number(execFileSync(process.execPath, [...args, '-e', 'process.stdout.write(String(process.memoryUsage().rss))']).toString()) / 1048576;
  return Math.max(0, rss(['--import', 'tsx']) - rss([]));
}

/** bench/poller/spool-replay.ts (the spool's own benchmark), with this poller's message count. */
async function spoolReplay(messagesPerPoll: number): Promise<void> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'spool-replay.ts');
  if (!existsSync(file)) {
    console.log('  spool replay            (bench/poller/spool-replay.ts not present)');
    return;
  }
  const { measureSpoolReplay } = (await import(pathToFileURL(file).href)) as { measureSpoolReplay: (o: { polls: number; messagesPerPoll: number; amqpUrl: string }) => Promise<{ records: number; seconds: number; recordsPerSecond: number }> };
  const result = await measureSpoolReplay({ polls: 1440, messagesPerPoll, amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F' });
  console.log(`  spool replay 24 h       ${result.records} messages in ${result.seconds.toFixed(2)} s (${Math.round(result.recordsPerSecond)}/s)   budget 60 s   ratio ${(result.seconds / BUDGET.replaySeconds).toFixed(3)}`);
}

await main();
