/**
 * Central munin polling budget: one poller polling N simulated munin-nodes (30 plugins of
 * 6 fields each, every answer delayed by a realistic latency) at a 5-minute interval.
 * Goal: 1,000 nodes per poller within one core and 300 MB.
 *
 * The nodes are simulated in a child process of their own (sim-nodes.ts: the protocol and
 * the latency, not a real node's CPU, which is on each server and not the poller's). The
 * poll cycles (central module, parsing, rates, validation, spool append) run in another
 * child (poll-loop.ts, bundled with esbuild and run by plain node with the flags of
 * numeter-poller's shebang, as a compiled poller runs), with plugin infos refreshed at the
 * poller's default plugins_refresh_time (300 s: every poll). CPU per node and RSS are
 * measured at N nodes; the largest N that fits an interval on one core is 300 s / CPU per
 * node. Reference, same run: the same loop over a single node (the per-node cost without
 * central polling). The N-node loop runs again with node's default flags, to show what
 * the launcher's flags are for. Unattended at the defaults: about 4 minutes.
 * Env: MUNIN_CENTRAL_BENCH_NODES (1000), MUNIN_CENTRAL_BENCH_LATENCY_MS (5), MUNIN_CENTRAL_BENCH_POLLS (2),
 * MUNIN_CENTRAL_BENCH_REFRESH (300), BENCH_NODE_FLAGS (more node flags for the launcher run), BENCH_DEBUG.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launcherFlags } from '../../common/testing/launcher-flags.js';
import type { CentralLoopFigures } from './poll-loop.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NODES = Number(process.env.MUNIN_CENTRAL_BENCH_NODES ?? 1000);
const LATENCY_MS = Number(process.env.MUNIN_CENTRAL_BENCH_LATENCY_MS ?? 5);
const POLLS = Number(process.env.MUNIN_CENTRAL_BENCH_POLLS ?? 2);
const REFRESH_S = Number(process.env.MUNIN_CENTRAL_BENCH_REFRESH ?? 300);
const PLUGINS = 30;
const INTERVAL_S = 300;
const MAX_PARALLEL = 64;
const GOAL = { nodes: 1000, rssMb: 300 };
/** The flags numeter-poller's shebang passes, then BENCH_NODE_FLAGS (later ones win). */
const DEBUG_FLAGS = process.env.BENCH_DEBUG ? ['--expose-gc'] : [];
const LAUNCHER_FLAGS = [
  ...launcherFlags(join(HERE, '../../services/poller/src/main.ts')),
  ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  ...DEBUG_FLAGS,
];

async function startSimulator(nodes: number): Promise<{ ports: number[]; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'sim-nodes.ts'), JSON.stringify({ nodes, plugins: PLUGINS, latencyMs: LATENCY_MS })],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { ports: JSON.parse(first) as number[], stop: () => child.stdin.end() };
}

function runLoop(bundle: string, ports: number[], dir: string, flags: readonly string[]): CentralLoopFigures {
  const args = JSON.stringify({
    ports,
    polls: POLLS,
    dir,
    maxParallel: MAX_PARALLEL,
    intervalSeconds: INTERVAL_S,
    refreshSeconds: REFRESH_S,
  });
  const out = execFileSync(process.execPath, [...flags, bundle, args], {
    cwd: join(HERE, '../..'),
    maxBuffer: 1 << 20,
  }).toString();
  return JSON.parse(out.trim().split('\n').pop() as string) as CentralLoopFigures;
}

async function bundleLoop(): Promise<string> {
  const bundle = join(HERE, '../../node_modules/.cache/numeter-bench-central', `poll-loop-${process.pid}.mjs`);
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
  return bundle;
}

const mb = (bytes: number) => bytes / 1048576;

function report(single: CentralLoopFigures, central: CentralLoopFigures, defaults: CentralLoopFigures): void {
  const perNode = central.cpuSecondsPerPoll / NODES;
  const largest = Math.floor(INTERVAL_S / perNode);
  const rssPerNodeMb = (mb(central.rssMaxBytes) - mb(single.rssMaxBytes)) / Math.max(1, NODES - 1);
  const rssAtGoal = mb(single.rssMaxBytes) + rssPerNodeMb * (GOAL.nodes - 1);
  console.log(
    `munin-central: ${NODES} simulated nodes x ${PLUGINS} plugins (${Math.round(central.valuesPerPoll)} values per poll), latency ${LATENCY_MS} ms per answer, ${MAX_PARALLEL} in parallel, infos refreshed every ${REFRESH_S} s, ${POLLS} measured polls, errors ${central.moduleErrors}`,
  );
  console.log(`  launcher flags: ${LAUNCHER_FLAGS.join(' ')}`);
  console.log(
    `  reference: one node, same loop            ${(single.cpuSecondsPerPoll * 1000).toFixed(1)} ms CPU per poll, RSS ${mb(single.rssMaxBytes).toFixed(1)} MB`,
  );
  console.log(
    `  CPU per node per poll                      ${(perNode * 1000).toFixed(2)} ms   ratio to reference ${(perNode / single.cpuSecondsPerPoll).toFixed(2)}`,
  );
  console.log(`  wall time of one poll                      ${central.wallSecondsPerPoll.toFixed(1)} s of ${INTERVAL_S} s`);
  console.log(
    `  largest N in one core per ${INTERVAL_S} s          ${largest} nodes   goal ${GOAL.nodes}   ratio ${(largest / GOAL.nodes).toFixed(2)}`,
  );
  console.log(
    `  RSS (max) at ${NODES} nodes                  ${mb(central.rssMaxBytes).toFixed(1)} MB (${(rssPerNodeMb * 1024).toFixed(0)} kB per node)`,
  );
  console.log(
    `  RSS at ${GOAL.nodes} nodes (linear)              ${rssAtGoal.toFixed(0)} MB   budget ${GOAL.rssMb} MB   ratio ${(rssAtGoal / GOAL.rssMb).toFixed(2)}`,
  );
  console.log(
    `  with node's default flags: RSS (max) ${mb(defaults.rssMaxBytes).toFixed(1)} MB (ratio to budget ${(mb(defaults.rssMaxBytes) / GOAL.rssMb).toFixed(2)} at ${NODES} nodes), CPU per node ${((defaults.cpuSecondsPerPoll / NODES) * 1000).toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'numeter-bench-central-'));
  const simulator = await startSimulator(NODES);
  try {
    const bundle = await bundleLoop();
    const single = runLoop(bundle, simulator.ports.slice(0, 1), join(dir, 'single'), LAUNCHER_FLAGS);
    const central = runLoop(bundle, simulator.ports, join(dir, 'central'), LAUNCHER_FLAGS);
    const defaults = runLoop(bundle, simulator.ports, join(dir, 'defaults'), DEBUG_FLAGS);
    await rm(bundle, { force: true });
    report(single, central, defaults);
  } finally {
    simulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
