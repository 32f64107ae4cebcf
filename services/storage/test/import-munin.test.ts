import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { silentLogger } from '../../../common/logging/index.js';
import { readMuninConf } from '../../../common/munin/index.js';
import { createMuninRrd, rrdFetch, runMuninUpdate } from '../../../common/testing/munin-master.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { uniqueName } from '../../../common/testing/names.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import * as whisper from '../../../common/whisper/index.js';
import { HostDirectories } from '../src/files/host-directories.js';
import { hostDirectory, seriesFile } from '../src/files/layout.js';
import { runMuninImport } from '../src/import/command.js';
import { IndexWriter } from '../src/index/index-writer.js';
import { redisKeys } from '../src/index/keys.js';
import { tempDir, testConfig } from './ingest-fixtures.js';

/**
 * import-munin against real Munin data: munin-update's own datafile and RRD files (from
 * two real munin-nodes), plus RRD files with 460 days of history made with rrdtool in
 * Munin's naming and RRA layout, a corrupt RRD and one the datafile does not describe.
 * Every imported archive must equal `rrdtool fetch` of its RRA.
 */
const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const PLUGINS = fileURLToPath(new URL('../../poller/test/peers/plugins/', import.meta.url));
const NOW = Math.floor(Date.now() / 1000);
const END = NOW - (NOW % 300);
const HISTORY_START = END - 460 * 86400;
const RESOLUTIONS = [300, 1800, 7200, 86400];

/** Unknown for one hour in 37, and for all of day 200: the xff rules are exercised. */
const gauge = (t: number): number | null =>
  Math.floor(t / 3600) % 37 === 0 || Math.floor((t - HISTORY_START) / 86400) === 200
    ? null
    : 50 + 40 * Math.sin(t / 20000) + ((t / 300) % 7);

const HIST_DATAFILE = [
  'hist;old-host.example:load.graph_title Load average',
  'hist;old-host.example:load.graph_args --base 1000 -l 0',
  'hist;old-host.example:load.graph_vlabel load',
  'hist;old-host.example:load.graph_category system',
  'hist;old-host.example:load.load.label load',
  'hist;old-host.example:load.load.warning 10',
  'hist;old-host.example:load.load.colour 00cc00',
  'hist;old-host.example:load.load.graph_data_size normal',
  'hist;old-host.example:if_eth0.graph_title eth0 traffic',
  'hist;old-host.example:if_eth0.graph_order down up',
  'hist;old-host.example:if_eth0.down.label received',
  'hist;old-host.example:if_eth0.down.type DERIVE',
  'hist;old-host.example:if_eth0.down.graph no',
  'hist;old-host.example:if_eth0.up.label bps',
  'hist;old-host.example:if_eth0.up.type DERIVE',
  'hist;old-host.example:if_eth0.up.negative down',
  'hist;old-host.example:if_eth0.up.cdef up,8,*',
  'hist;old-host.example:broken.graph_title Broken',
  'hist;old-host.example:broken.x.label x',
  'this line is not an attribute',
];

/** Every archive of a whisper file against rrdtool fetch of the RRA with its step. */
async function assertMatchesRrd(wsp: string, rrd: string): Promise<number> {
  let compared = 0;
  const info = whisper.info(wsp);
  assert.deepEqual(
    info.archives.map((a) => [a.secondsPerPoint, a.points]),
    [
      [300, 576],
      [1800, 432],
      [7200, 540],
      [86400, 450],
    ],
  );
  for (const resolution of RESOLUTIONS) {
    const archive = info.archives.find((a) => a.secondsPerPoint === resolution);
    const lastUpdate = Number((await run('rrdtool', ['lastupdate', rrd])).stdout.split('\n')[2]?.split(':')[0]);
    const end = lastUpdate - (lastUpdate % resolution);
    const rows = await rrdFetch(rrd, resolution, end - ((archive?.points ?? 0) - 1) * resolution, end);
    const fetched = whisper.fetch(wsp, NOW - (archive?.retention ?? 0) + 1, NOW, { archiveToSelect: resolution });
    assert.ok(fetched);
    const stored = new Map(fetched.values.map((v, i) => [fetched.start + i * fetched.step, v]));
    for (const [intervalEnd, expected] of rows) {
      const t = intervalEnd - resolution;
      if (!stored.has(t)) continue;
      const actual = stored.get(t) ?? null;
      if (expected === null) assert.equal(actual, null, `${wsp} ${resolution}s at ${t}: rrdtool has no value`);
      else
        assert.ok(
          actual !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
          `${wsp} ${resolution}s at ${t}: ${actual} != ${expected}`,
        );
      compared++;
    }
  }
  return compared;
}

describe('numeter-storage import-munin', () => {
  const prefix = uniqueName('importmunin');
  let dir: TempDir;
  let wspPath: string;
  let config: ReturnType<typeof testConfig>;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  const keys = redisKeys(prefix);
  let nodes: RunningMuninNode[] = [];
  let dbdir: string;
  let conf: string;

  before(async () => {
    dir = await tempDir('import-munin');
    wspPath = join(dir.dir, 'wsps');
    config = testConfig({ storageName: prefix, amqpUrl: 'amqp://127.0.0.1', wspPath, prefix });
    await chmod(dir.dir, 0o755);
    await redis.connect();
    nodes = await Promise.all([
      startMuninNode({ port: 25981, hostName: 'node-a.example', pluginFiles: [join(PLUGINS, 'np_static'), join(PLUGINS, 'np_multi')] }),
      startMuninNode({ port: 25982, hostName: 'node-b.example', pluginFiles: [join(PLUGINS, 'np_rate')] }),
    ]);
    ({ conf, dbdir } = await runMuninUpdate(join(dir.dir, 'munin'), [
      { group: 'web', name: 'node-a.example', port: 25981 },
      { group: 'db', name: 'node-b.example', port: 25982 },
    ]));
    await mkdir(join(dbdir, 'hist'));
    await createMuninRrd(join(dbdir, 'hist', 'old-host.example-load-load-g.rrd'), {
      start: HISTORY_START,
      end: END,
      type: 'GAUGE',
      value: gauge,
    });
    let counter = 0;
    await createMuninRrd(join(dbdir, 'hist', 'old-host.example-if_eth0-up-d.rrd'), {
      start: END - 30 * 86400,
      end: END,
      type: 'DERIVE',
      value: (t) => (counter += 300 * (1000 + (t % 3600))),
    });
    await writeFile(join(dbdir, 'hist', 'old-host.example-broken-x-g.rrd'), 'not an rrd file at all');
    await writeFile(join(dbdir, 'hist', 'stray-host-thing-x-g.rrd'), 'nobody describes me');
    await appendFile(join(dbdir, 'datafile'), `${HIST_DATAFILE.join('\n')}\n`);
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await deleteRedisPrefix(prefix, redis);
    await redis.quit();
    await dir?.remove();
  });

  const wspOf = (hostId: string, plugin: string, ds: string) => seriesFile(hostDirectory(wspPath, hostId, 2), plugin, ds);

  it('imports every RRD the datafile describes, equal to rrdtool fetch in every archive; bad files are reported and skipped', async () => {
    const cfg = join(dir.dir, 'storage.cfg');
    await writeFile(cfg, `[global]\nwsp_path = ${wspPath}\nredis_key_prefix = ${prefix}\nlog_level = error\n`);
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, '--config', cfg, 'import-munin', '--conf', conf]);
    const report = JSON.parse(stdout);
    assert.equal(report.hosts, 3);
    assert.equal(report.files, 10, stderr); // node-a: 4 np_static + 3 np_multi, node-b: 1, old-host: 2 (+1 broken)
    assert.equal(report.created, 10);
    assert.match(stderr, /old-host\.example-broken-x-g\.rrd: rrdtool: .*; skipped/);
    assert.match(stderr, /stray-host-thing-x-g\.rrd: not described by the datafile; skipped/);
    assert.match(stderr, /datafile:\d+: cannot read "this line is not an attribute"/);

    const compared = await assertMatchesRrd(
      wspOf('old-host.example', 'load', 'load'),
      join(dbdir, 'hist', 'old-host.example-load-load-g.rrd'),
    );
    assert.ok(compared > 1900, `compared ${compared} rows`);
    await assertMatchesRrd(wspOf('old-host.example', 'if_eth0', 'up'), join(dbdir, 'hist', 'old-host.example-if_eth0-up-d.rrd'));
    for (const [hostId, group, plugin, ds, type] of [
      ['node-a.example', 'web', 'np_static', 'load', 'g'],
      ['node-a.example', 'web', 'np_multi.outlet1', 'power', 'g'],
      ['node-b.example', 'db', 'np_rate', 'c', 'd'],
    ]) {
      await assertMatchesRrd(wspOf(hostId, plugin, ds), join(dbdir, group, `${hostId}-${plugin.replace('.', '-')}-${ds}-${type}.rrd`));
    }
  });

  it('reads the munin.conf munin-update ran with as the central poller does (nodes, groups, dbdir)', () => {
    const read = readMuninConf(conf);
    assert.deepEqual(read.problems, []);
    assert.equal(read.dbdir, dbdir);
    assert.deepEqual(
      read.nodes.map((n) => [n.group, n.name, n.port, n.useNodeName]),
      [
        ['web', 'node-a.example', 25981, true],
        ['db', 'node-b.example', 25982, true],
      ],
    );
  });

  it('indexes hosts with their Munin group and plugin infos from the datafile', async () => {
    const host = JSON.parse((await redis.hget(keys.hosts, 'old-host.example')) ?? '{}');
    assert.equal(host.Group, 'hist');
    assert.equal(host.Name, 'old-host.example');
    assert.equal(JSON.parse((await redis.hget(keys.hosts, 'node-a.example')) ?? '{}').Group, 'web');
    const load = JSON.parse((await redis.hget(keys.infos('old-host.example'), 'load')) ?? '{}');
    assert.equal(load.Title, 'Load average');
    assert.equal(load.Infos.load.colour, '00cc00');
    assert.equal(load.Infos.load.warning, '10');
    const traffic = JSON.parse((await redis.hget(keys.infos('old-host.example'), 'if_eth0')) ?? '{}');
    assert.equal(traffic.Infos.up.negative, 'down');
    assert.equal(traffic.Infos.up.cdef, 'up,8,*');
    assert.deepEqual(JSON.parse((await redis.hget(keys.dataSources('old-host.example'), 'if_eth0')) ?? '[]'), ['up']);
    assert.equal(await redis.hexists(keys.infos('old-host.example'), 'broken'), 0, 'a graph without any readable file is not indexed');
    const multi = JSON.parse((await redis.hget(keys.infos('node-a.example'), 'np_multi.outlet1')) ?? '{}');
    assert.equal(multi.Title, 'Outlet 1');
  });

  it("sets a host's and its plugins' last-seen to the newest imported point, not the import's time", async () => {
    const rows = await rrdFetch(join(dbdir, 'hist', 'old-host.example-load-load-g.rrd'), 300, END - 7200, END);
    const newestLoad = Math.max(...rows.filter(([, v]) => v !== null).map(([intervalEnd]) => intervalEnd - 300));
    assert.equal(Number(await redis.hget(keys.lastSeenPlugins('old-host.example'), 'load')), newestLoad);
    const traffic = await rrdFetch(join(dbdir, 'hist', 'old-host.example-if_eth0-up-d.rrd'), 300, END - 7200, END);
    const newestTraffic = Math.max(...traffic.filter(([, v]) => v !== null).map(([intervalEnd]) => intervalEnd - 300));
    assert.equal(Number(await redis.hget(keys.lastSeenPlugins('old-host.example'), 'if_eth0')), newestTraffic);
    assert.equal(Number(await redis.hget(keys.lastSeenHosts, 'old-host.example')), Math.max(newestLoad, newestTraffic));
    assert.ok(newestLoad < NOW, 'older than the import');
  });

  it('continuity: the storage finds the imported files for the host, so new points extend the same series', async () => {
    const index = new IndexWriter(redis, keys);
    const location = await new HostDirectories({ wspRoot: wspPath, hashChars: 2, index }).locate('old-host.example');
    const file = seriesFile(location.dir, 'load', 'load');
    assert.equal(file, wspOf('old-host.example', 'load', 'load'));
    const copy = join(dir.dir, 'continuity.wsp');
    await writeFile(copy, await readFile(file));
    whisper.update(copy, 42, NOW, { now: NOW });
    const day = whisper.fetch(copy, NOW - 86400, NOW, { now: NOW });
    assert.ok(day);
    assert.equal(day.values.at(-1), 42);
    assert.ok(day.values.filter((v) => v !== null).length > 250, 'the Munin points of the same day are there');
  });

  it('is idempotent: a second run writes nothing and changes no file', async () => {
    const file = wspOf('old-host.example', 'load', 'load');
    const before = createHash('sha1')
      .update(await readFile(file))
      .digest('hex');
    // The poller has seen the host since: a second import must not move its last-seen back.
    await redis.hset(keys.lastSeenHosts, 'old-host.example', String(NOW + 1000));
    await redis.hset(keys.lastSeenPlugins('old-host.example'), 'load', String(NOW + 1000));
    const report = await runMuninImport(config, { conf, hostIdFormat: '{name}' }, silentLogger());
    assert.equal(await redis.hget(keys.lastSeenHosts, 'old-host.example'), String(NOW + 1000));
    assert.equal(await redis.hget(keys.lastSeenPlugins('old-host.example'), 'load'), String(NOW + 1000));
    assert.equal(report.points, 0);
    assert.equal(report.created, 0);
    assert.equal(
      createHash('sha1')
        .update(await readFile(file))
        .digest('hex'),
      before,
    );
  });

  it('after the poller started writing, keeps its newer points and fills the history behind them', async () => {
    const other = await tempDir('import-munin-after');
    const otherPrefix = uniqueName('importafter');
    const otherConfig = testConfig({ storageName: otherPrefix, amqpUrl: 'amqp://127.0.0.1', wspPath: other.dir, prefix: otherPrefix });
    try {
      // As the storage creates it for a new series: its default archives, then the poller's points.
      const file = seriesFile(hostDirectory(other.dir, 'old-host.example', 2), 'load', 'load');
      await mkdir(join(file, '..'), { recursive: true });
      whisper.create(file, whisper.parseRetentionDefs('60:1440,300:2016,600:4608,3600:8784'), { xFilesFactor: 0.5 });
      const recent = Array.from({ length: 10 }, (_, i): [number, number] => [END - 60 * i, 999]);
      whisper.updateMany(file, recent, { now: NOW });
      const report = await runMuninImport(otherConfig, { dbdir, hostIdFormat: '{name}' }, silentLogger());
      assert.ok(report.points > 0);
      const last = whisper.fetch(file, END - 540, NOW, { archiveToSelect: 60 });
      assert.ok(last?.values.every((v) => v === 999 || v === null));
      assert.ok(last?.values.includes(999));
      // Thirty days back, the hourly archive holds the Munin history (from its 2-hour RRA).
      const old = END - 30 * 86400;
      const hour = old - (old % 7200);
      const rrd = await rrdFetch(join(dbdir, 'hist', 'old-host.example-load-load-g.rrd'), 7200, hour, hour + 7200);
      const expected = rrd.find(([t]) => t === hour + 7200)?.[1];
      const stored = whisper.fetch(file, hour - 1, hour + 3600, { archiveToSelect: 3600 });
      if (expected !== null && expected !== undefined) assert.ok(Math.abs((stored?.values[0] ?? Number.NaN) - expected) < 1e-9);
      assert.ok(stored?.values.some((v) => v !== null));
    } finally {
      await deleteRedisPrefix(otherPrefix, redis);
      await other.remove();
    }
  });

  it("lays munin.conf's graph overrides over the datafile, as Munin's master (and the central poller) does", async () => {
    const overridden = join(dir.dir, 'munin-overrides.conf');
    const lines = (await readFile(conf, 'utf8')).split('\n');
    const at = lines.findIndex((line) => line.trim() === '[web;node-a.example]') + 1;
    lines.splice(at, 0, '  np_static.graph_title Overridden title', '  np_static.load.colour 0000ff', '  np_static.nosuchfield.label x');
    await writeFile(overridden, lines.join('\n'));
    const report = await runMuninImport(config, { conf: overridden, dbdir, hostIdFormat: '{name}' }, silentLogger());
    assert.equal(report.points, 0, 'the history is already there');
    const info = JSON.parse((await redis.hget(keys.infos('node-a.example'), 'np_static')) ?? '{}');
    assert.equal(info.Title, 'Overridden title');
    assert.equal(info.Infos.load.colour, '0000ff');
    assert.equal(info.Infos.load.draw, 'LINE2', "the plugin's other attributes stay");
    assert.equal(info.Infos.nosuchfield, undefined, 'an override of a field the plugin lacks adds nothing');
    const other = JSON.parse((await redis.hget(keys.infos('node-b.example'), 'np_rate')) ?? '{}');
    assert.notEqual(other.Title, 'Overridden title', "another host's plugins are untouched");
  });
});
