import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataResponse, FindNode, ListResponse, RenderResponse, SearchResponse } from '../../../common/schemas/index.js';
import { HOST_MARKER_FILE, hostDirectory } from '../src/files/layout.js';
import { type Fixture, series, startFixture } from './api-fixtures.js';

/**
 * Issue 10 / 15: the tree is complete from the files alone. A host known to the index only
 * by its data sources (DS@: after a rebuild, or a retired host) and a host the index does
 * not know at all (lost index, not rebuilt yet) are served from what the files hold.
 */
describe('storage API: history without the index (DS@ and the file tree)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    // As a rebuild leaves it: HOSTS placeholder, WSP_PATH, DS@, no plugin info.
    await fx.addHost('ds.only');
    await fx.redis.hset(fx.keys.dataSources('ds.only'), 'if_eth0', '["down","up"]');
    fx.writeSeries(
      'ds.only',
      'if_eth0',
      'down',
      series(60, 3600, () => 7),
    );
    fx.writeSeries(
      'ds.only',
      'if_eth0',
      'up',
      series(60, 3600, () => 8),
    );
    // Nothing in Redis at all: only its files.
    fx.writeSeries(
      'files.only',
      'load',
      'load',
      series(60, 3600, () => 1.5),
    );
    fx.writeSeries(
      'files.only',
      'df',
      'root',
      series(60, 3600, () => 40),
    );
    writeFileSync(join(hostDirectory(fx.root, 'files.only', 2), HOST_MARKER_FILE), '{"hostId":"files.only"}\n');
    // The original's directory (no marker): its name stands for the host.
    fx.writeSeries(
      'oldhost',
      'load',
      'load',
      series(60, 3600, () => 3),
    );
  });
  after(() => fx.close());

  const json = async (path: string) => {
    const res = await fx.get(path);
    return { status: res.status, body: await res.json() };
  };

  it('a plugin known only from DS@ is listed with a minimal info, and its data is served', async () => {
    const list = await json('/list?host=ds.only');
    assert.equal(list.status, 200);
    assert.deepEqual(ListResponse.parse(list.body), {
      if_eth0: {
        Plugin: 'if_eth0',
        Title: 'if_eth0',
        Describ: '',
        Vlabel: '',
        Base: '1000',
        Order: '',
        Category: 'other',
        Infos: { down: { id: 'down', label: 'down' }, up: { id: 'up', label: 'up' } },
      },
    });
    assert.equal((await json('/info?host=ds.only&plugin=if_eth0')).body.Title, 'if_eth0');
    const data = DataResponse.parse((await json('/data?host=ds.only&plugin=if_eth0&ds=down,up&from=-5min')).body);
    assert.deepEqual(data.DATAS, { down: [7, 7, 7, 7, 7], up: [8, 8, 8, 8, 8] });
    const found = FindNode.array().parse((await json('/metrics/find?query=dsonly.*.*')).body);
    assert.deepEqual(
      found.map((n) => [n.text, n.leaf]),
      [
        ['down', 1],
        ['up', 1],
      ],
    );
    const search = SearchResponse.parse((await json('/search?q=eth0')).body);
    assert.deepEqual(search.plugins, [{ host: 'ds.only', plugin: 'if_eth0', title: 'if_eth0' }]);
  });

  it('a host the index does not know is found in the file tree by its ID', async () => {
    const hinfo = await json('/hinfo?host=files.only');
    assert.equal(hinfo.status, 200);
    assert.equal(hinfo.body.ID, 'files.only');
    assert.equal(hinfo.body.HostIDFiltredName, 'filesonly');
    const list = ListResponse.parse((await json('/list?host=files.only')).body);
    assert.deepEqual(Object.keys(list), ['df', 'load']);
    const data = DataResponse.parse((await json('/data?host=files.only&plugin=load&ds=load&from=-3min')).body);
    assert.deepEqual(data.DATAS.load, [1.5, 1.5, 1.5]);
    assert.equal((await json('/list?host=nobody.here')).status, 404);
    assert.equal((await json('/info?host=files.only&plugin=nope')).status, 404);
  });

  it('while the index is incomplete (no marker), the host list includes the file tree', async () => {
    const ids = async () =>
      FindNode.array()
        .parse((await json('/metrics/find?query=*')).body)
        .map((n) => n.id);
    assert.deepEqual(await ids(), ['dsonly'], 'a complete index is trusted');
    await fx.redis.del(fx.keys.indexMarker);
    try {
      assert.deepEqual(await ids(), ['dsonly', 'filesonly', 'oldhost']);
      const hosts = (await json('/hosts')).body;
      assert.deepEqual(Object.keys(hosts), ['ds.only', 'files.only', 'oldhost']);
      assert.equal(hosts['files.only'].Name, 'files.only');
      const leaves = FindNode.array().parse((await json('/metrics/find?query=filesonly.*.*')).body);
      const expand = (await json('/metrics/expand?query=filesonly.*.*')).body as { results: string[] };
      assert.deepEqual(leaves.map((n) => n.text).sort(), ['load', 'root']);
      assert.deepEqual(expand.results, ['filesonly.df.root', 'filesonly.load.load']);
      const render = RenderResponse.parse((await json('/render?target=*.load.load&from=-3min')).body);
      assert.deepEqual(
        render.map((s) => [s.target, s.datapoints.map(([v]) => v)]),
        [
          ['filesonly.load.load', [1.5, 1.5, 1.5]],
          ['oldhost.load.load', [3, 3, 3]],
        ],
      );
    } finally {
      await fx.redis.set(fx.keys.indexMarker, '{}');
    }
  });
});
