/**
 * Render benchmark: the storage's Graphite query engine and graphite-web 1.1.8 (Debian's,
 * the reference) side by side in one run, on the same files: 1,000 series × 1 day of
 * 1-minute points (250 hosts × 4 plugins, data source `x`), read through a symlink tree
 * by graphite-web. Each target is rendered RUNS times by each (after one warm-up), one
 * request at a time, timed from the request to the last byte of the JSON answer.
 * Prints p50/p99 per target for both, the ratio (graphite-web p50 / ours) and PASS/FAIL
 * against the goals: at least 5x graphite-web on each target, and a p99 under 100 ms for
 * sumSeries over 1,000 series x 1,440 points. Each row carries the load average when it
 * was measured (other work on the machine inflates the absolute times, not the ratio).
 *
 * The storage side runs in this process on the API test fixture (real Redis index, real
 * files, the real HTTP server). Env: BENCH_RENDER_RUNS (20), BENCH_RENDER_GW_RUNS (5);
 * BENCH_RENDER_GW_RUNS=0 times ours alone (for profiling with --cpu-prof: no ratio printed);
 * BENCH_RENDER_ONLY=<text> keeps the targets containing that text.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkTree, startGraphiteWeb } from '../../common/testing/graphite-web.js';
import { hostDirectory, seriesFile } from '../../services/storage/src/files/layout.js';
import { NOW, series, startFixture } from '../../services/storage/test/api-fixtures.js';

const RUNS = Number(process.env.BENCH_RENDER_RUNS ?? 20);
const GW_RUNS = Number(process.env.BENCH_RENDER_GW_RUNS ?? 5);
const HOSTS = 250;
const GOAL_RATIO = 5;
const GOAL_SUM_P99_MS = 100;
const PLUGINS = 4;

/** target → window in seconds (movingAverage's preview must stay inside the 1-day archive: graphite-web fails otherwise). */
const TARGETS: Array<[string, number]> = [
  ['sumSeries(*.*.x)', 86_400],
  ['groupByNode(*.*.x, 1, "sum")', 86_400],
  ['movingAverage(*.*.x, 5)', 82_800],
  ['highestAverage(*.*.x, 5)', 86_400],
  ['summarize(*.*.x, "1h", "avg")', 86_400],
  ['h1*.*.x', 86_400],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeRenders(
  base: string,
  target: string,
  window: number,
  runs: number,
): Promise<{ p50: number; p99: number; series: number }> {
  const body = new URLSearchParams({
    target,
    from: String(NOW - window),
    until: String(NOW),
    now: String(NOW),
    format: 'json',
    noCache: '1',
  });
  const once = async () => {
    let started = performance.now();
    const post = () => fetch(`${base}/render`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    // A kept-alive connection idle while the other side was timed may be closed by the server
    // just as it is reused (ECONNRESET before any answer): sent again on a new one, timed afresh.
    const res = await post().catch((error: { cause?: { code?: string } }) => {
      if (error.cause?.code !== 'ECONNRESET') throw error;
      started = performance.now();
      return post();
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${base} ${target}: ${res.status} ${text.slice(0, 200)}`);
    return { ms: performance.now() - started, series: (JSON.parse(text.replace(/\bNaN\b/g, 'null')) as unknown[]).length };
  };
  const { series } = await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await once()).ms);
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), series };
}

function pair(r: { p50: number; p99: number }): string {
  return `${r.p50.toFixed(1)} / ${r.p99.toFixed(1)}`;
}

function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} on ${availableParallelism()} CPUs`;
}

/** The goals a row is held to: the ratio (needs graphite-web's run), and sumSeries' p99; null when nothing applies. */
function goalMet(target: string, ours: { p50: number; p99: number }, theirs: { p50: number } | null): boolean | null {
  const checks: boolean[] = [];
  if (theirs) checks.push(theirs.p50 / ours.p50 >= GOAL_RATIO);
  if (target.startsWith('sumSeries(')) checks.push(ours.p99 < GOAL_SUM_P99_MS);
  return checks.length === 0 ? null : checks.every(Boolean);
}

async function main(): Promise<void> {
  const fx = await startFixture({ settings: { maxPoints: 3_000_000, maxReadPoints: 5_000_000, maxReadPointsInFlight: 20_000_000 } });
  const work = mkdtempSync(join(tmpdir(), 'numeter-bench-render-'));
  try {
    const links: Array<{ path: string; target: string }> = [];
    for (let h = 0; h < HOSTS; h++) {
      const host = `h${h}`;
      await fx.addHost(host);
      for (let p = 0; p < PLUGINS; p++) {
        await fx.addPlugin(host, `p${p}`, { x: 'x' });
        fx.writeSeries(
          host,
          `p${p}`,
          'x',
          series(60, 86_400, (t) => ((t / 60 + h * 7 + p) % 100) / 10),
        );
        links.push({ path: `${host}.p${p}.x`, target: seriesFile(hostDirectory(fx.root, host, 2), `p${p}`, 'x') });
      }
    }
    linkTree(join(work, 'whisper'), links);
    const gw = GW_RUNS > 0 ? await startGraphiteWeb(join(work, 'whisper'), join(work, 'graphite')) : null;
    try {
      console.log(`${HOSTS * PLUGINS} series x 1440 points; ours ${RUNS} runs, graphite-web ${GW_RUNS} runs per target; ${load()}`);
      console.log(
        'target'.padEnd(34),
        'series',
        'ours p50/p99 ms'.padStart(18),
        'graphite-web p50/p99 ms'.padStart(26),
        'ratio'.padStart(7),
        '  goal',
        '  load (1 min)',
      );
      const verdicts: boolean[] = [];
      for (const [target, window] of TARGETS.filter(([t]) => t.includes(process.env.BENCH_RENDER_ONLY ?? ''))) {
        const ours = await timeRenders(fx.base, target, window, RUNS);
        const theirs = gw ? await timeRenders(gw.base, target, window, GW_RUNS) : null;
        if (theirs && ours.series !== theirs.series) throw new Error(`${target}: ${ours.series} series vs graphite-web's ${theirs.series}`);
        const verdict = goalMet(target, ours, theirs);
        if (verdict !== null) verdicts.push(verdict);
        console.log(
          target.padEnd(34),
          String(ours.series).padStart(6),
          pair(ours).padStart(18),
          (theirs ? pair(theirs) : '-').padStart(26),
          (theirs ? `${(theirs.p50 / ours.p50).toFixed(1)}x` : '-').padStart(7),
          (verdict === null ? '-' : verdict ? 'PASS' : 'FAIL').padStart(6),
          `  ${loadavg()[0].toFixed(2)}`,
        );
      }
      const failed = verdicts.filter((v) => !v).length;
      console.log(
        `goals (>= ${GOAL_RATIO}x graphite-web on each target, sumSeries p99 < ${GOAL_SUM_P99_MS} ms): ` +
          `${failed === 0 ? 'PASS' : `FAIL (${failed} of ${verdicts.length})`}; ${load()}`,
      );
    } catch (error) {
      for (const log of ['exception.log', 'info.log']) {
        try {
          console.error(readFileSync(join(work, 'graphite', 'log', log), 'utf8').slice(-1500));
        } catch {}
      }
      throw error;
    } finally {
      await gw?.stop();
    }
  } finally {
    await fx.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
