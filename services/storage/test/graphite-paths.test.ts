import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { IndexWriter } from '../src/index/index-writer.js';
import { rebuildIndex } from '../src/index/rebuild.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

/**
 * Issue 11: a series sent as path P comes back under P. Every `.` of a plugin or
 * data-source name is one level of the Graphite tree (carbon `load.load`/`shortterm`,
 * munin multigraph `diskstats_latency.sda`), a node may be a leaf and a branch at once
 * (answered as graphite-web does), and globs keep Graphite's one-node-per-level semantics.
 */
interface FindNodeJson {
  text: string;
  id: string;
  leaf: number;
  allowChildren: number;
}

describe('Graphite paths: every dot of a name is a level', () => {
  let fx: Fixture;
  /** host → plugin → ds → constant value of the series. */
  const DATA: Record<string, Record<string, Record<string, number>>> = {
    web1: {
      load: { load: 1 },
      'load.load': { shortterm: 2, midterm: 3 },
      'interface-eth0.if_octets': { rx: 4, tx: 5 },
      'app.http.requests': { count: 13 },
      diskstats_latency: { sda_avgwait: 6 },
      'diskstats_latency.sda': { avgwait: 7 },
      // Leaf and branch: web1.a.b is the ds b of plugin a and the branch of plugin a.b.
      a: { b: 8 },
      'a.b': { c: 9 },
      // Two pairs behind one path: web1.x.y.z.
      'x.y': { z: 10 },
      x: { 'y.z': 11 },
      // An empty part: no path can name it.
      'bad..name': { v: 12 },
    },
  };

  before(async () => {
    fx = await startFixture();
    for (const [host, plugins] of Object.entries(DATA)) {
      await fx.addHost(host);
      for (const [plugin, sources] of Object.entries(plugins)) {
        await fx.addPlugin(host, plugin, Object.fromEntries(Object.keys(sources).map((ds) => [ds, ds])));
        for (const [ds, value] of Object.entries(sources))
          fx.writeSeries(
            host,
            plugin,
            ds,
            series(60, 3600, () => value),
          );
      }
    }
  });
  after(() => fx.close());

  async function find(query: string, extra = ''): Promise<FindNodeJson[]> {
    const res = await fx.get(`/metrics/find?query=${encodeURIComponent(query)}${extra}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as FindNodeJson[];
  }
  const ids = async (query: string) => (await find(query)).map((n) => `${n.id}${n.leaf ? '' : '.'}`);
  const expand = async (query: string): Promise<string[]> =>
    (await (await fx.get(`/metrics/expand?query=${encodeURIComponent(query)}`)).json()).results;

  async function render(target: string): Promise<Map<string, number>> {
    const res = await fx.get(`/render?target=${encodeURIComponent(target)}&from=${NOW - 1800}&until=${NOW}&format=json`);
    assert.equal(res.status, 200, await res.clone().text());
    const out = new Map<string, number>();
    for (const s of (await res.json()) as Array<{ target: string; datapoints: Array<[number | null, number]> }>) {
      out.set(s.target, s.datapoints.find(([v]) => v !== null)?.[0] as number);
    }
    return out;
  }

  it('walks a 4-node carbon path node by node and renders it under the path sent', async () => {
    assert.deepEqual(await ids('web1.*'), [
      'web1.a.',
      'web1.app.',
      'web1.diskstats_latency.',
      'web1.interface-eth0.',
      'web1.load.',
      'web1.x.',
    ]);
    assert.deepEqual(await ids('web1.load.*'), ['web1.load.load.'], 'a branch (and a leaf: the munin plugin load)');
    assert.deepEqual(await find('web1.load.*'), [{ text: 'load', id: 'web1.load.load', allowChildren: 1, expandable: 1, leaf: 0 }]);
    assert.deepEqual(await ids('web1.load.load.*'), ['web1.load.load.midterm', 'web1.load.load.shortterm']);
    assert.deepEqual([...(await render('web1.load.load.shortterm'))], [['web1.load.load.shortterm', 2]]);
    assert.deepEqual([...(await render('web1.load.*'))], [['web1.load.load', 1]], 'the munin plugin load beside it');
  });

  it('walks collectd interface-eth0.if_octets.rx and a 5-node path', async () => {
    assert.deepEqual(await ids('web1.interface-eth0.*'), ['web1.interface-eth0.if_octets.']);
    assert.deepEqual(await ids('web1.interface-eth0.if_octets.*'), [
      'web1.interface-eth0.if_octets.rx',
      'web1.interface-eth0.if_octets.tx',
    ]);
    assert.deepEqual(
      [...(await render('web1.interface-eth0.if_octets.{rx,tx}'))],
      [
        ['web1.interface-eth0.if_octets.rx', 4],
        ['web1.interface-eth0.if_octets.tx', 5],
      ],
    );
    assert.deepEqual(await ids('web1.app.*'), ['web1.app.http.']);
    assert.deepEqual(await ids('web1.app.http.*'), ['web1.app.http.requests.']);
    assert.deepEqual(await ids('web1.app.http.requests.*'), ['web1.app.http.requests.count']);
    assert.deepEqual([...(await render('web1.app.http.requests.count'))], [['web1.app.http.requests.count', 13]]);
  });

  it('puts a munin multigraph child under its parent: host.diskstats_latency.sda.ds', async () => {
    assert.deepEqual(await ids('web1.diskstats_latency.*'), ['web1.diskstats_latency.sda.', 'web1.diskstats_latency.sda_avgwait']);
    assert.deepEqual(await ids('web1.diskstats_latency.sda.*'), ['web1.diskstats_latency.sda.avgwait']);
    assert.deepEqual([...(await render('web1.diskstats_latency.sda.avgwait'))], [['web1.diskstats_latency.sda.avgwait', 7]]);
    assert.deepEqual([...(await render('*.diskstats_latency.*.avgwait'))], [['web1.diskstats_latency.sda.avgwait', 7]]);
  });

  it('answers a node that is a leaf and a branch as graphite-web does', async () => {
    // treejson: one node per name, the branch (graphite-web's tree_json keeps the first, its store yields the branch first).
    assert.deepEqual(await find('web1.a.*'), [{ text: 'b', id: 'web1.a.b', allowChildren: 1, expandable: 1, leaf: 0 }]);
    // completer: both, by name, the branch first.
    const completer = await (await fx.get(`/metrics/find?query=${encodeURIComponent('web1.a.*')}&format=completer`)).json();
    assert.deepEqual(completer, {
      metrics: [
        { path: 'web1.a.b.', name: 'b', is_leaf: '0' },
        { path: 'web1.a.b', name: 'b', is_leaf: '1' },
      ],
    });
    assert.deepEqual(await expand('web1.a.*'), ['web1.a.b']);
    assert.deepEqual(await ids('web1.a.b.*'), ['web1.a.b.c']);
    assert.deepEqual([...(await render('web1.a.b'))], [['web1.a.b', 8]], 'the path renders as the leaf');
    assert.deepEqual([...(await render('web1.a.b.c'))], [['web1.a.b.c', 9]]);
  });

  it('keeps both pairs behind one path and one series for it', async () => {
    assert.deepEqual(await ids('web1.x.y.*'), ['web1.x.y.z']);
    const rendered = await render('web1.x.y.z');
    assert.deepEqual([...rendered.keys()], ['web1.x.y.z']);
    assert.ok([10, 11].includes(rendered.get('web1.x.y.z') as number));
  });

  it('keeps globs one node per level: web1.*.* renders three-node paths only', async () => {
    assert.deepEqual([...(await render('web1.*.*')).keys()], ['web1.a.b', 'web1.diskstats_latency.sda_avgwait', 'web1.load.load']);
    assert.deepEqual(
      [...(await render('web1.*.*.*')).keys()],
      [
        'web1.a.b.c',
        'web1.diskstats_latency.sda.avgwait',
        'web1.interface-eth0.if_octets.rx',
        'web1.interface-eth0.if_octets.tx',
        'web1.load.load.midterm',
        'web1.load.load.shortterm',
        'web1.x.y.z',
      ],
    );
    assert.deepEqual(await expand('web1.*.*.*.*'), ['web1.app.http.requests.count']);
    assert.deepEqual(await ids('web1.*.*.*.*'), ['web1.*.*.*.count'], "treejson ids keep the query's globs, as graphite-web's");
    assert.deepEqual(await ids('web1.load.load.shortterm.more'), []);
    assert.deepEqual(await ids('web1.bad'), [], 'a name with an empty part is not in the tree');
  });

  it('finds the same tree after an index rebuild from the files', async () => {
    const before = await expand('web1.*.*.*');
    assert.ok(before.includes('web1.load.load.shortterm') && before.includes('web1.interface-eth0.if_octets.rx'));
    await deleteRedisPrefix(fx.prefix, fx.redis);
    assert.equal(await fx.redis.hlen(fx.keys.hosts), 0);
    const result = await rebuildIndex({ wspRoot: fx.root, index: new IndexWriter(fx.redis, fx.keys), clock: new ManualClock(NOW * 1000) });
    assert.equal(result.plugins, Object.keys(DATA.web1).length);
    assert.deepEqual(await expand('web1.*.*.*'), before);
    assert.deepEqual([...(await render('web1.load.load.shortterm'))], [['web1.load.load.shortterm', 2]]);
    assert.deepEqual([...(await render('web1.diskstats_latency.sda.avgwait'))], [['web1.diskstats_latency.sda.avgwait', 7]]);
  });
});
