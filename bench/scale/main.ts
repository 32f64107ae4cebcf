/**
 * bench/scale (issue 16): one installation at 1,000 and at 10,000 hosts (10 plugins x 4 data
 * sources each: 40,000 and 400,000 series). A real storage (child process, real Redis and
 * RabbitMQ, every info through the bus, files written directly) and a real webapp (in this
 * process, a MariaDB database of its own per size, the storage registered with the webapp's own
 * client token as docs/operations.md recommends). For each size: populate (first run, then a run
 * with nothing new), `/`, `/dashboards`, a host page and the view editor in Chromium (ready time,
 * size, keystroke to filtered list), the storage's `/metrics/find *.p0.*` and `/render` of one
 * source over every host with the storage's event-loop delay meanwhile. Prints both sizes, the
 * ratio, and PASS/FAIL per goal. References measured in the same run: the storage's event-loop
 * delay while idle, and the hosts ratio (10x) for "growth at most linear".
 *
 * Env: BENCH_SCALE_HOSTS (1000,10000), BENCH_SCALE_RENDER_FROM (-24h).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { freePort } from '../../deploy/local/stack/probes.js';
import { repoRoot } from '../../services/webapp/src/pages/assets.js';
import { populate } from '../../services/webapp/src/populate.js';
import { hostIdOf, hostNameOf, PLUGINS, RENDERED, SOURCES, startScaleWorld } from '../../services/webapp/test/scale-world.js';
import { EDITOR, type KeystrokeFigures, login, measureKeystroke, measurePage, type PageFigures } from './pages.js';
import { drainBody, type LoopDelay, loopDelayDuring, timed } from './storage-probes.js';
import { ADMIN, startWebapp } from './world-webapp.js';

const ROOT = repoRoot();
const SIZES = (process.env.BENCH_SCALE_HOSTS ?? '1000,10000').split(',').map(Number);
const RENDER_FROM = process.env.BENCH_SCALE_RENDER_FROM ?? '-24h';
const TOKEN = 'bench-scale-webapp-token';
/** A host present at every size: its page is measured, its name typed in the view editor. */
const PROBE_HOST = Math.min(321, SIZES[0] - 1);
const MB = 1024 * 1024;
const KEYSTROKE_TRIALS = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

type Figures = Map<string, number>;

interface Measure {
  key: string;
  label: string;
  unit: 'ms' | 'bytes' | 'count';
  /** The goal at the largest size: PASS when the figure is under it. */
  goal?: number;
}

const PAGES = [
  { key: 'home', path: () => '/', label: '/' },
  { key: 'dashboards', path: () => '/dashboards', label: '/dashboards' },
  { key: 'host', path: (hostPage: number) => `/hosts/${hostPage}`, label: 'host page' },
  { key: 'editor', path: () => '/views/new', label: 'view editor' },
] as const;

const MEASURES: Measure[] = [
  { key: 'build', label: 'building the world (infos through the bus, files)', unit: 'ms' },
  { key: 'populateFirst', label: 'populate, first run', unit: 'ms', goal: 60_000 },
  { key: 'populateAgain', label: 'populate, nothing new', unit: 'ms', goal: 10_000 },
  ...PAGES.flatMap((p): Measure[] => [
    { key: `${p.key}.ready`, label: `${p.label} ready`, unit: 'ms', goal: 1000 },
    { key: `${p.key}.size`, label: `${p.label} size (document + JSON)`, unit: 'bytes', goal: MB },
    { key: `${p.key}.elements`, label: `${p.label} elements`, unit: 'count' },
  ]),
  { key: 'keystroke.list', label: 'view editor: keystroke to filtered list (median of 5)', unit: 'ms', goal: 50 },
  { key: 'keystroke.final', label: "view editor: keystroke to the server's answer", unit: 'ms' },
  { key: 'keystroke.handled', label: 'view editor: keystroke to next frame', unit: 'ms' },
  { key: 'pasted.list', label: 'view editor: pasted query to its list (median of 5)', unit: 'ms' },
  { key: 'find', label: '/metrics/find *.p0.* (median of 5)', unit: 'ms', goal: 200 },
  { key: 'render', label: `/render ${RENDER_FROM} of *.${RENDERED.plugin}.${RENDERED.ds}`, unit: 'ms' },
  { key: 'render.size', label: '/render response', unit: 'bytes' },
  { key: 'loop.render', label: 'storage event-loop delay during the render (max)', unit: 'ms', goal: 50 },
  { key: 'loop.idle', label: 'reference: the same while idle (max)', unit: 'ms' },
  { key: 'health.render', label: 'a /health during the render (slowest)', unit: 'ms', goal: 50 },
];

async function measureSize(world: Awaited<ReturnType<typeof startScaleWorld>>, hosts: number): Promise<Figures> {
  const figures: Figures = new Map();
  const build = await world.addHosts(hosts - world.hosts);
  figures.set('build', build.publishMs + build.ingestMs + build.filesMs);
  console.log(
    `  world of ${hosts} hosts: published in ${(build.publishMs / 1000).toFixed(1)} s, ingested ${(build.ingestMs / 1000).toFixed(1)} s later, files ${(build.filesMs / 1000).toFixed(1)} s`,
  );
  const webapp = await startWebapp(world.apiPort, TOKEN);
  try {
    const first = await timed(() => populate(webapp.deps));
    if (first.value.failures.length) console.log(`  populate failures: ${first.value.failures.slice(0, 3).join('; ')}`);
    figures.set('populateFirst', first.ms);
    const again = await timed(() => populate(webapp.deps));
    figures.set('populateAgain', again.ms);
    console.log(`  populate: first run ${(first.ms / 1000).toFixed(1)} s, nothing new ${(again.ms / 1000).toFixed(1)} s`);
    if (again.value.hostsUnchanged !== hosts) console.log(`  second populate: ${again.value.hostsUnchanged}/${hosts} hosts unchanged`);
    await measurePages(webapp.base, (await webapp.deps.repos.hosts.byHostid(hostIdOf(PROBE_HOST)))?.id ?? 0, figures);
  } finally {
    await webapp.close();
  }
  try {
    await measureStorage(world.apiUrl, figures);
  } catch (error) {
    // The storage failing under a query is a result too: the figures so far are still printed.
    console.log(`  the storage failed: ${(error as Error).message} (${String((error as Error).cause ?? '')})`);
  }
  const log = readFileSync(join(world.stateDir, 'storage.log'), 'utf8').trim().split('\n');
  const errors = log.filter((line) => /"level":(50|60)|exit storage/.test(line));
  if (errors.length) console.log(`  the storage's log: ${errors.slice(-3).join('\n    ')}`);
  return figures;
}

async function measurePages(base: string, hostPage: number, figures: Figures): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    // The readiness check is a string (tsx's helpers stay out of the page): the app's CSP refuses eval.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await login(page, base, ADMIN.username, ADMIN.password);
    for (const p of PAGES) {
      const extra = p.key === 'editor' ? EDITOR.input : '';
      await measurePage(page, `${base}${p.path(hostPage)}`, extra); // warm: the scripts cached, as for a user
      const f: PageFigures = await measurePage(page, `${base}${p.path(hostPage)}`, extra);
      figures.set(`${p.key}.ready`, f.readyMs);
      figures.set(`${p.key}.size`, f.documentBytes + f.dataBytes);
      figures.set(`${p.key}.elements`, f.elements);
      console.log(
        `  ${p.label}: document ${f.documentMs.toFixed(0)} ms, ${f.dataRequests} JSON requests (slowest ${f.slowestDataMs.toFixed(0)} ms), ready ${f.readyMs.toFixed(0)} ms`,
      );
    }
    for (const how of ['typed', 'pasted'] as const) {
      const trials: KeystrokeFigures[] = [];
      for (let i = 0; i < KEYSTROKE_TRIALS; i++) trials.push(await measureKeystroke(page, hostNameOf(PROBE_HOST), PLUGINS * SOURCES, how));
      const never = trials.find((k) => k.listMs < 0 || k.finalMs < 0);
      if (never) console.log(`  ${how}: the list never showed the ${PLUGINS * SOURCES} sources (${never.shown} shown)`);
      const key = how === 'typed' ? 'keystroke' : 'pasted';
      figures.set(`${key}.list`, median(trials.map((k) => (k.listMs < 0 ? Number.POSITIVE_INFINITY : k.listMs))));
      figures.set(`${key}.final`, median(trials.map((k) => (k.finalMs < 0 ? Number.POSITIVE_INFINITY : k.finalMs))));
      figures.set(`${key}.handled`, median(trials.map((k) => k.handledMs)));
    }
  } finally {
    await browser.close();
  }
}

async function measureStorage(apiUrl: string, figures: Figures): Promise<void> {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const idle: LoopDelay = await loopDelayDuring(apiUrl, headers, () => new Promise((r) => setTimeout(r, 3000)));
  figures.set('loop.idle', idle.loop.maxMs);
  const url = `${apiUrl}/render?target=*.${RENDERED.plugin}.${RENDERED.ds}&from=${RENDER_FROM}&format=json`;
  let status = 0;
  let refusal = '';
  const during = await loopDelayDuring(apiUrl, headers, async () => {
    const r = await timed(async () => {
      const res = await fetch(url, { headers });
      status = res.status;
      const body = await drainBody(res);
      if (status !== 200) refusal = body.head.slice(0, 200);
      return body.bytes;
    });
    figures.set('render', r.ms);
    figures.set('render.size', r.value);
  });
  if (status !== 200) {
    // A refusal's time is no render time: the figure fails, the others are still measured.
    console.log(`  /render answered HTTP ${status}: ${refusal}`);
    figures.set('render', Number.POSITIVE_INFINITY);
  }
  figures.set('loop.render', during.loop.maxMs);
  figures.set('health.render', during.healthMaxMs);
  // Last: at 10,000 hosts (40,000 series) the find has made the storage fail.
  const finds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await timed(async () => {
      const res = await fetch(`${apiUrl}/metrics/find?query=*.${RENDERED.plugin}.*`, { headers }).catch((error: Error) => error);
      if (res instanceof Error) {
        console.log(`  /metrics/find failed: ${res.message} (${String(res.cause ?? '')})`);
        return 0;
      }
      const body = await res.text();
      if (res.status !== 200) console.log(`  /metrics/find answered HTTP ${res.status}: ${body.slice(0, 200)}`);
      return res.status;
    });
    finds.push(r.value === 200 ? r.ms : Number.POSITIVE_INFINITY);
  }
  figures.set('find', median(finds));
}

function show(value: number | undefined, unit: Measure['unit']): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return 'never';
  if (unit === 'bytes') return value >= MB ? `${(value / MB).toFixed(2)} MB` : `${(value / 1024).toFixed(0)} KB`;
  if (unit === 'count') return value.toLocaleString('en-US');
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

function report(results: Array<{ hosts: number; figures: Figures }>): boolean {
  const first = results[0];
  const last = results[results.length - 1];
  const hostsRatio = last.hosts / first.hosts;
  console.log(`\n${'measure'.padEnd(56)}${results.map((r) => `${r.hosts} hosts`.padStart(14)).join('')}${'ratio'.padStart(9)}  goal`);
  let failed = false;
  for (const m of MEASURES) {
    const a = first.figures.get(m.key);
    const b = last.figures.get(m.key);
    const ratio = a && b !== undefined ? b / a : Number.NaN;
    const verdicts: string[] = [];
    if (m.goal !== undefined && b !== undefined) {
      const pass = b < m.goal;
      failed ||= !pass;
      verdicts.push(`${pass ? 'PASS' : 'FAIL'} < ${show(m.goal, m.unit)}`);
    }
    // Growth: at most linear in the hosts (with a floor of 5 ms / 10 KB for noise of tiny figures).
    const floor = m.unit === 'bytes' ? 10_240 : 5;
    if (results.length > 1 && a !== undefined && b !== undefined && m.key !== 'loop.idle' && m.key !== 'build') {
      const linear = b <= Math.max(a, floor) * hostsRatio;
      failed ||= !linear;
      verdicts.push(linear ? 'linear PASS' : 'linear FAIL');
    }
    const cells = results.map((r) => show(r.figures.get(m.key), m.unit).padStart(14)).join('');
    console.log(`${m.label.padEnd(56)}${cells}${(Number.isFinite(ratio) ? ratio.toFixed(2) : '-').padStart(9)}  ${verdicts.join(', ')}`);
  }
  return !failed;
}

// A stopped benchmark stops its storage and drops its databases' files ('exit' handlers do not run on a signal).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'services/webapp/tsconfig.client.json'], { cwd: ROOT });
const probePort = await freePort();
const world = await startScaleWorld({
  storageExtra: {
    api: {
      client_tokens: `webapp:0:${TOKEN}`,
      // Sized for one render of a day of minute points over 10,000 hosts (14.4 million points).
      max_points: '20000000',
      max_read_points: '20000000',
      max_read_points_in_flight: '40000000',
      // `*.p0.*` is 40,000 series at 10,000 hosts, `*.p0.d0` 10,000: past the default 10,000 they are refused.
      max_find_results: '100000',
    },
  },
  token: TOKEN,
  preload: [join(ROOT, 'bench/scale/loop-probe.mjs')],
  env: { BENCH_LOOP_PROBE_PORT: String(probePort) },
});
process.env.BENCH_LOOP_PROBE_PORT = String(probePort);
const results: Array<{ hosts: number; figures: Figures }> = [];
try {
  console.log(
    `state in ${world.stateDir}; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const hosts of SIZES) {
    console.log(`${hosts} hosts (${(hosts * PLUGINS * SOURCES).toLocaleString('en-US')} series)`);
    results.push({ hosts, figures: await measureSize(world, hosts) });
  }
} finally {
  await world.close();
}
const ok = report(results);
console.log(
  `\n${ok ? 'every goal PASS' : 'some goals FAIL'}; load average at the end ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
