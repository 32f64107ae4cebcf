/**
 * The query engine held against graphite-web 1.1.8 (Debian's, the reference): the same
 * .wsp files (written by python3-whisper: gaps, a counter with a reset, two archives, a
 * coarser file) rendered through both, for a table of targets covering every function;
 * names, tags, timestamps and values (1e-6 relative) must be the same. One server start.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type GraphiteWeb,
  linkTree,
  type PythonFile,
  parseGraphiteJson,
  startGraphiteWeb,
  writeWithPythonWhisper,
} from '../../../common/testing/graphite-web.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { hostDirectory, seriesFile } from '../src/files/layout.js';
import { type Fixture, NOW, startFixture } from './api-fixtures.js';

const HOURS = 3600;
const TWO_ARCHIVES: Array<[number, number]> = [
  [60, 1440],
  [300, 2016],
];

/** host → plugin → ds → value at t (null: no point written, a gap). */
const DATA: Record<string, Record<string, Record<string, (t: number) => number | null>>> = {
  web1: {
    load: { load: (t) => (t % 1020 === 0 ? null : 1 + ((t / 60) % 7) * 0.5) },
    cpu: { user: (t) => 20 + ((t / 60) % 10), system: (t) => (t / 60) % 5 },
    net: { rx: (t) => (t < NOW - 3 * HOURS ? (t - (NOW - 2 * 86_400)) * 3 : (t - (NOW - 3 * HOURS)) * 2) },
    // Plugins of several nodes (carbon `load.load`, collectd `interface-lo.if_octets`, a munin
    // multigraph child), and web1.disk.sda both a leaf (plugin disk) and a branch (plugin disk.sda).
    'load.load': { shortterm: (t) => 0.5 + ((t / 60) % 3), midterm: () => 0.7 },
    'interface-lo.if_octets': { rx: (t) => (t / 60) % 11, tx: (t) => (t % 600 === 0 ? null : 2) },
    diskstats_latency: { sda_avgwait: (t) => 3 + ((t / 60) % 2) },
    'diskstats_latency.sda': { avgwait: (t) => 4 + ((t / 120) % 3) },
    disk: { sda: (t) => 10 + ((t / 60) % 4) },
    'disk.sda': { read: (t) => 20 + ((t / 60) % 6) },
    'app.http.requests': { count: (t) => (t / 60) % 9 },
  },
  web2: {
    load: { load: (t) => (t % 780 === 0 ? null : 4 - ((t / 60) % 5) * 0.25) },
    cpu: { user: (t) => 10 + ((t / 120) % 6), system: (t) => 2 + ((t / 60) % 3) },
  },
  db1: { load: { load: (t) => (t > NOW - 2 * HOURS ? null : 2.5) } },
};

const TARGETS = [
  // plain paths and globs
  'web1.load.load',
  '*.load.load',
  'web*.cpu.{user,system}',
  // paths of more than three nodes, a node both leaf and branch
  'web1.load.load.shortterm',
  'web1.*.*.*',
  'web1.*.*.*.*',
  'web1.interface-lo.if_octets.{rx,tx}',
  'web1.diskstats_latency.*',
  'web1.diskstats_latency.sda.avgwait',
  'web1.disk.*',
  'web1.disk.sda',
  'web1.disk.sda.*',
  'sumSeries(web1.load.load.*)',
  'aliasByNode(web1.interface-lo.if_octets.*, 1, 3)',
  'groupByNode(web1.*.*.*, 1, "sum")',
  // aggregation
  'sumSeries(*.load.load)',
  'sum(web1.load.load, web2.load.load)',
  'averageSeries(*.load.load)',
  'minSeries(*.load.load)',
  'maxSeries(*.load.load)',
  'multiplySeries(web1.load.load, web2.load.load)',
  'diffSeries(web1.cpu.user, web1.cpu.system)',
  'divideSeries(web1.cpu.user, web1.cpu.system)',
  'stddevSeries(*.load.load)',
  'rangeOfSeries(*.load.load)',
  'percentileOfSeries(*.load.load, 75)',
  'percentileOfSeries(*.cpu.user, 50, true)',
  'countSeries(*.load.load)',
  'group(web1.load.load, web2.cpu.*)',
  'aggregate(*.load.load, "max")',
  'aggregate(*.cpu.*, "median")',
  'sumSeriesWithWildcards(*.cpu.*, 0)',
  'averageSeriesWithWildcards(*.cpu.*, 2)',
  'groupByNode(*.cpu.*, 0, "sum")',
  'groupByNode(*.cpu.*, 2)',
  'groupByNode(*.cpu.*, 0, "maxSeries")',
  'groupByNodes(*.cpu.*, "avg", 0, 2)',
  'asPercent(web1.cpu.*)',
  'asPercent(web1.cpu.user, web1.cpu.system)',
  'asPercent(*.load.load, 10)',
  'asPercent(*.cpu.*, *.cpu.user, 0)',
  'sumSeries(web1.load.load, slow.load.load)',
  'averageSeries(web*.load.load, slow.load.load)',
  // transforms
  'scale(web1.load.load, 100)',
  'scale(web1.load.load, 0.001)',
  'offset(web1.load.load, -5)',
  'absolute(offset(web1.load.load, -2))',
  'derivative(web1.net.rx)',
  'nonNegativeDerivative(web1.net.rx)',
  'nonNegativeDerivative(web1.net.rx, 500000)',
  'perSecond(web1.net.rx)',
  'integral(web1.load.load)',
  'scaleToSeconds(web1.net.rx, 1)',
  'movingAverage(web1.load.load, 5)',
  'movingAverage(web1.load.load, "10min")',
  'movingSum(web*.load.load, 3)',
  'movingMin(web1.load.load, 4)',
  'movingMax(web1.cpu.user, "5min")',
  'movingMedian(web1.load.load, 5)',
  'summarize(web1.load.load, "1h")',
  'summarize(web1.load.load, "1h", "max", true)',
  'summarize(web1.cpu.*, "30min", "avg")',
  'hitcount(web1.cpu.system, "1h")',
  'timeShift(web1.load.load, "1h")',
  'timeShift(web1.load.load, "-30min", false)',
  'delay(web1.load.load, 3)',
  'keepLastValue(web1.load.load)',
  'keepLastValue(db1.load.load, 2)',
  'transformNull(web1.load.load)',
  'transformNull(db1.load.load, -1)',
  'removeAboveValue(web1.load.load, 3)',
  'removeBelowValue(web1.load.load, 2)',
  'nPercentile(web1.load.load, 90)',
  'invert(web1.cpu.system)',
  'pow(web1.load.load, 2)',
  'log(web1.load.load)',
  'log(web1.cpu.user, 2)',
  'changed(web1.cpu.system)',
  'isNonNull(db1.load.load)',
  // filters and sorting
  'highestAverage(*.load.load, 2)',
  'highestCurrent(*.cpu.*, 2)',
  'highestMax(*.load.load, 1)',
  'lowestAverage(*.load.load, 2)',
  'lowestCurrent(*.cpu.*, 1)',
  'maximumAbove(*.load.load, 3)',
  'maximumBelow(*.load.load, 3)',
  'minimumAbove(*.cpu.*, 1)',
  'averageAbove(*.cpu.*, 5)',
  'averageBelow(*.cpu.*, 5)',
  'currentAbove(*.load.load, 2)',
  'currentBelow(*.load.load, 2)',
  'limit(*.load.load, 2)',
  'exclude(*.load.load, "^web")',
  'grep(*.cpu.*, "user$")',
  'sortByName(*.cpu.*, true, true)',
  'sortByMaxima(*.load.load)',
  'sortByTotal(*.cpu.*)',
  'removeEmptySeries(*.load.load)',
  // naming and display
  'alias(web1.load.load, "the load")',
  'aliasByNode(*.cpu.*, 0, 2)',
  'aliasByNode(scale(web1.cpu.user, 2), 1)',
  'aliasSub(*.load.load, "^(\\w+)\\..*", "\\1 load")',
  'aliasSub(constantLine(100), "(^.*$)", "\\1 A")',
  'aliasByMetric(*.cpu.*)',
  'legendValue(web1.load.load, "avg", "max")',
  'cactiStyle(*.load.load)',
  'color(web1.load.load, "red")',
  'lineWidth(web1.load.load, 2)',
  'dashed(web1.load.load)',
  'stacked(web*.load.load)',
  'secondYAxis(web1.load.load)',
  'constantLine(42)',
  'threshold(5, "five", "red")',
  'consolidateBy(web1.load.load, "max")',
  // pipes and keywords
  'web1.load.load | scale(2) | alias("piped")',
  'summarize(web1.load.load, intervalString="2h", func="min")',
];

/** Find queries whose treejson (and completer, for those ending in `*`) must be graphite-web's. */
const FINDS = [
  '*',
  'web1.*',
  'web1.load.*',
  'web1.load.load.*',
  'web1.*.*',
  'web1.*.*.*',
  'web1.interface-lo.*',
  'web1.interface-lo.if_octets.*',
  'web1.diskstats_latency.*',
  'web1.disk.*',
  'web1.disk.sda.*',
  'web1.disk.sda',
  '*.{cpu,disk}.*',
  'web1.nothing.*',
  'web1.load.load.shortterm.x',
];

/**
 * graphite-web's store shuffles the paths before its find view sorts them by name, so
 * completer entries of one name under different paths come in any order: put those in path
 * order on both sides (a branch's path ends with a dot, after the leaf of the same path).
 */
function sameNamesInOrder(answer: unknown): unknown {
  const metrics = (answer as { metrics?: Array<{ name: string; path: string }> }).metrics;
  if (!metrics) return answer;
  const key = (m: { name: string; path: string }) => `${m.name}\u0000${m.path}`;
  return { metrics: [...metrics].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) };
}

/** Requests beyond the default window: maxDataPoints, other windows, xFilesFactor. */
const EXTRA: Array<{ target: string; params: Record<string, string> }> = [
  { target: 'web1.load.load', params: { maxDataPoints: '50' } },
  { target: 'consolidateBy(web1.load.load, "sum")', params: { maxDataPoints: '20' } },
  { target: 'consolidateBy(*.cpu.*, "min")', params: { maxDataPoints: '7' } },
  { target: 'sumSeries(*.load.load)', params: { from: String(NOW - 3 * 86_400), maxDataPoints: '100' } },
  { target: 'web1.load.load', params: { from: String(NOW - 3 * 86_400) } },
  { target: 'sumSeries(*.load.load)', params: { xFilesFactor: '0.9' } },
  { target: 'constantLine(1)', params: { maxDataPoints: '1' } },
  { target: 'web1.load.load', params: { noNullPoints: '1' } },
];

const WINDOW = { from: String(NOW - 6 * HOURS), until: String(NOW) };

interface Rendered {
  target: string;
  tags: Record<string, string>;
  datapoints: Array<[number | null, number]>;
}

function differences(ours: Rendered[], theirs: Rendered[]): string[] {
  const out: string[] = [];
  if (ours.length !== theirs.length) {
    return [
      `${ours.length} series (${ours.map((s) => s.target).join(' | ')}) vs ${theirs.length} (${theirs.map((s) => s.target).join(' | ')})`,
    ];
  }
  ours.forEach((a, i) => {
    const b = theirs[i];
    if (a.target !== b.target) out.push(`name ${JSON.stringify(a.target)} vs ${JSON.stringify(b.target)}`);
    if (JSON.stringify(a.tags) !== JSON.stringify(b.tags)) out.push(`tags ${JSON.stringify(a.tags)} vs ${JSON.stringify(b.tags)}`);
    if (a.datapoints.length !== b.datapoints.length) out.push(`${a.datapoints.length} points vs ${b.datapoints.length}`);
    const n = Math.min(a.datapoints.length, b.datapoints.length);
    for (let j = 0; j < n && out.length < 5; j++) {
      const [va, ta] = a.datapoints[j];
      const [vb, tb] = b.datapoints[j];
      if (ta !== tb) out.push(`point ${j}: time ${ta} vs ${tb}`);
      else if (!sameValue(va, vb)) out.push(`point ${j} (${ta}): ${va} vs ${vb}`);
    }
  });
  return out;
}

function sameValue(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

describe('query engine against graphite-web 1.1.8 (same files, same answers)', () => {
  let fx: Fixture;
  let gw: GraphiteWeb;
  let temp: TempDir | undefined;
  let work: string;

  before(async () => {
    fx = await startFixture();
    temp = await tempDir('gw');
    work = temp.dir;
    const files: PythonFile[] = [];
    const links: Array<{ path: string; target: string }> = [];
    const first = NOW - (NOW % 60) - 2 * 86_400;
    for (const [host, plugins] of Object.entries(DATA)) {
      await fx.addHost(host);
      for (const [plugin, dataSources] of Object.entries(plugins)) {
        await fx.addPlugin(host, plugin, Object.fromEntries(Object.keys(dataSources).map((ds) => [ds, ds])));
        for (const [ds, at] of Object.entries(dataSources)) {
          const points: Array<[number, number]> = [];
          for (let t = first; t <= NOW; t += 60) {
            const v = at(t);
            if (v !== null) points.push([t, v]);
          }
          const path = seriesFile(hostDirectory(fx.root, host, 2), plugin, ds);
          files.push({ path, archives: TWO_ARCHIVES, points });
          links.push({ path: `${host}.${plugin}.${ds}`, target: path });
        }
      }
    }
    // A coarser file: one 5-minute archive.
    await fx.addHost('slow');
    await fx.addPlugin('slow', 'load', { load: 'load' });
    const slowPath = seriesFile(hostDirectory(fx.root, 'slow', 2), 'load', 'load');
    const slowPoints: Array<[number, number]> = [];
    for (let t = first - (first % 300); t <= NOW; t += 300) slowPoints.push([t, 2 + ((t / 300) % 4)]);
    files.push({ path: slowPath, archives: [[300, 2016]], points: slowPoints });
    links.push({ path: 'slow.load.load', target: slowPath });
    writeWithPythonWhisper(files, NOW);
    linkTree(join(work, 'whisper'), links);
    gw = await startGraphiteWeb(join(work, 'whisper'), join(work, 'graphite'));
  });

  after(async () => {
    await gw?.stop();
    await fx?.close();
    await temp?.remove();
  });

  async function renderBoth(
    target: string,
    params: Record<string, string>,
  ): Promise<{ ours?: Rendered[]; theirs?: Rendered[]; failure?: string }> {
    const body = new URLSearchParams({ target, format: 'json', now: String(NOW), noCache: '1', ...WINDOW, ...params }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const [a, b] = await Promise.all([
      fetch(`${fx.base}/render`, { method: 'POST', headers, body }),
      fetch(`${gw.base}/render`, { method: 'POST', headers, body }),
    ]);
    const [textA, textB] = [await a.text(), await b.text()];
    if (a.status !== 200 || b.status !== 200) {
      return { failure: `answered ${a.status} ${textA.slice(0, 200)} vs graphite-web ${b.status} ${textB.slice(0, 200)}` };
    }
    return { ours: JSON.parse(textA), theirs: parseGraphiteJson(textB) as Rendered[] };
  }

  it('renders every target of the table as graphite-web does', async () => {
    const failures: string[] = [];
    const cases = [...TARGETS.map((target) => ({ target, params: {} as Record<string, string> })), ...EXTRA];
    for (const { target, params } of cases) {
      const { ours, theirs, failure } = await renderBoth(target, params);
      const diff = failure ? [failure] : differences(ours as Rendered[], theirs as Rendered[]);
      if (diff.length) failures.push(`${target} ${JSON.stringify(params)}:\n    ${diff.join('\n    ')}`);
      else if (theirs?.length === 0) failures.push(`${target}: graphite-web gave no series (the case tests nothing)`);
    }
    assert.deepEqual(failures, []);
  });

  it('finds the same nodes as graphite-web, paths of any depth and leaf-and-branch nodes included', async () => {
    const failures: string[] = [];
    for (const query of FINDS) {
      for (const format of query.endsWith('*') ? ['treejson', 'completer'] : ['treejson']) {
        const params = new URLSearchParams({ query, format }).toString();
        const [a, b] = await Promise.all([fetch(`${fx.base}/metrics/find?${params}`), fetch(`${gw.base}/metrics/find?${params}`)]);
        const [ours, theirs] = [await a.json(), await b.json()].map(sameNamesInOrder);
        if (JSON.stringify(ours) !== JSON.stringify(theirs))
          failures.push(`${query} (${format}): ${JSON.stringify(ours)}\n    vs graphite-web ${JSON.stringify(theirs)}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
