/**
 * Poller budget: with 30 munin plugins (a real munin-node on 127.0.0.1:24951 with 30
 * cheap deterministic plugins) and the system module, at a 60 s interval, the poller must
 * use under 1% of one core and under 80 MB RSS; the spool must replay a 24-hour backlog
 * (1,440 polls) in under a minute.
 *
 * The poll cycle (munin protocol, parsing, rates, validation, spool append) runs N times
 * back to back in a child process (poll-loop.ts, bundled with esbuild and run by plain
 * node, so the TypeScript loader's memory is not counted); CPU time per poll
 * (process.cpuUsage) is scaled to the 60 s interval. It runs twice: with node's default
 * heap flags, and with the numeter-poller launcher's (its shebang's) flags.
 * Reference, same run: a bare munin session doing the same commands without parsing or
 * anything after it, to show what the poller adds to the protocol cost. munin-node's own
 * CPU (it forks each plugin) is not the poller's and is not counted.
 * Env: POLLER_BENCH_POLLS (10), AMQP_URL.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { launcherFlags } from '../../common/testing/launcher-flags.js';
import { startMuninNode } from '../../common/testing/munin-node.js';
import { MuninSession } from '../../services/poller/src/modules/munin/session.js';
import type { PollLoopFigures } from './poll-loop.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PORT = 24951;
const PLUGINS = 30;
const POLLS = Number(process.env.POLLER_BENCH_POLLS ?? 10);
const REFERENCE_RUNS = 3;
const INTERVAL_S = 60;
const BUDGET = { cpuShare: 0.01, rssMb: 80, replaySeconds: 60 };
/** The flags numeter-poller's shebang passes. */
export const LAUNCHER_FLAGS = launcherFlags(join(HERE, '../../services/poller/src/main.ts'));

/** A cheap plugin: 6 fields (2 DERIVE, one unknown), dirtyconfig-aware like modern munin plugins. */
function cheapPlugin(n: number): string {
  const config = [
    `graph_title Cheap plugin ${n}`,
    'graph_category bench',
    'graph_vlabel units',
    'rx.label rx',
    'rx.type DERIVE',
    'rx.min 0',
    'tx.label tx',
    'tx.type DERIVE',
    'tx.min 0',
    'a.label a',
    'b.label b',
    'c.label c',
    'd.label d',
  ];
  const values = ['rx.value 1000', 'tx.value 2000', 'a.value 1.5', 'b.value 2', 'c.value 3', 'd.value U'];
  const print = (lines: string[]) => `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}`;
  return `#!/bin/sh\nif [ "$1" = config ]; then\n${print(config)}\n[ "$MUNIN_CAP_DIRTYCONFIG" = 1 ] && ${print(values)}\nexit 0\nfi\n${print(values)}\n`;
}

async function bareSessionCpuSeconds(): Promise<number> {
  const start = process.cpuUsage();
  const session = await MuninSession.open({
    host: '127.0.0.1',
    port: PORT,
    connectTimeoutMs: 5000,
    readTimeoutMs: 30_000,
    maxLineLength: 65536,
    maxLines: 20000,
  });
  await session.cap(['multigraph', 'dirtyconfig']);
  for (const plugin of await session.list()) await session.config(plugin);
  session.close();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function runLoop(bundle: string, flags: string[], dir: string): PollLoopFigures {
  const args = JSON.stringify({ port: PORT, polls: POLLS, dir, intervalSeconds: INTERVAL_S, refreshSeconds: 300 });
  const out = execFileSync(process.execPath, [...flags, bundle, args], { cwd: join(HERE, '../..'), maxBuffer: 1 << 20 }).toString();
  return JSON.parse(out.trim().split('\n').pop() as string) as PollLoopFigures;
}

async function main(): Promise<void> {
  const extraPlugins = Object.fromEntries(
    Array.from({ length: PLUGINS }, (_, i) => [`bench_${String(i).padStart(2, '0')}`, cheapPlugin(i)]),
  );
  const node = await startMuninNode({ port: PORT, pluginFiles: [], extraPlugins });
  const dir = await mkdtemp(join(tmpdir(), 'numeter-bench-poller-'));
  try {
    // Dependencies stay in node_modules (resolved from the bundle's place); only our sources are compiled.
    const bundle = join(HERE, '../../node_modules/.cache/numeter-bench-poller', `poll-loop-${process.pid}.mjs`);
    await build({
      entryPoints: [join(HERE, 'poll-loop.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: bundle,
      logLevel: 'error',
    });
    let reference = 0;
    for (let i = 0; i < REFERENCE_RUNS; i++) reference += (await bareSessionCpuSeconds()) / REFERENCE_RUNS;
    const runs: Array<[string, PollLoopFigures]> = [
      ['node defaults', runLoop(bundle, [], join(dir, 'a'))],
      [LAUNCHER_FLAGS.join(' '), runLoop(bundle, LAUNCHER_FLAGS, join(dir, 'b'))],
    ];
    const first = runs[0][1];
    console.log(
      `poller: ${PLUGINS} munin plugins + system module, ${POLLS} polls back to back, ${Math.round(first.valuesPerPoll)} values and ${first.messagesPerPoll.toFixed(1)} messages per poll (info every 5th poll)`,
    );
    console.log(`  reference: bare munin session, same commands   ${(reference * 1000).toFixed(1)} ms CPU per poll`);
    for (const [label, f] of runs) {
      const share = f.cpuSecondsPerPoll / INTERVAL_S;
      const rssMb = f.rssMaxBytes / 1048576;
      console.log(`  [${label}]`);
      console.log(
        `    CPU per poll           ${(f.cpuSecondsPerPoll * 1000).toFixed(1)} ms   ratio to reference ${(f.cpuSecondsPerPoll / reference).toFixed(2)}   (wall ${(f.wallSecondsPerPoll * 1000).toFixed(0)} ms, mostly munin-node forking plugins)`,
      );
      console.log(
        `    CPU at 60 s interval   ${(share * 100).toFixed(3)} % of one core   budget 1 %    ratio ${(share / BUDGET.cpuShare).toFixed(3)}`,
      );
      console.log(
        `    RSS (max)              ${rssMb.toFixed(1)} MB               budget 80 MB  ratio ${(rssMb / BUDGET.rssMb).toFixed(3)}`,
      );
    }
    await spoolReplay(Math.ceil(first.messagesPerPoll));
    await rm(bundle, { force: true });
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** bench/poller/spool-replay.ts (the spool's own benchmark), with this poller's message count. */
async function spoolReplay(messagesPerPoll: number): Promise<void> {
  const file = join(HERE, 'spool-replay.ts');
  if (!existsSync(file)) {
    console.log('  spool replay: bench/poller/spool-replay.ts not present');
    return;
  }
  const { measureSpoolReplay } = (await import(pathToFileURL(file).href)) as {
    measureSpoolReplay: (o: {
      polls: number;
      messagesPerPoll: number;
      amqpUrl: string;
    }) => Promise<{ records: number; seconds: number; recordsPerSecond: number }>;
  };
  const result = await measureSpoolReplay({
    polls: 1440,
    messagesPerPoll,
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F',
  });
  console.log(
    `  spool replay, 24 h backlog (1440 polls x ${messagesPerPoll} messages): ${result.records} messages in ${result.seconds.toFixed(2)} s (${Math.round(result.recordsPerSecond)}/s)   budget 60 s   ratio ${(result.seconds / BUDGET.replaySeconds).toFixed(3)}`,
  );
}

await main();
