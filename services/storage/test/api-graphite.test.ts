import assert from 'node:assert/strict';
import { truncateSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DataResponse, ErrorResponse, ExpandResponse, FindNode, RenderResponse } from '../../../common/schemas/index.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('storage API: Graphite render/find for Grafana', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    await fx.addHost('web01.example.com');
    await fx.addPlugin('web01.example.com', 'load', { load: 'load' });
    await fx.addPlugin('web01.example.com', 'if_eth0.errors', { rx: 'rx', tx: 'tx' });
    await fx.addHost('db1');
    await fx.addPlugin('db1', 'load', { load: 'load' });
    await fx.addPlugin('db1', 'cpu', { user: 'user', system: 'system' });
    fx.writeSeries(
      'web01.example.com',
      'load',
      'load',
      series(60, 86_400, (t) => (t % 3600) / 60),
    );
    fx.writeSeries(
      'web01.example.com',
      'if_eth0.errors',
      'rx',
      series(60, 3600, () => 3),
    );
    fx.writeSeries(
      'db1',
      'load',
      'load',
      series(60, 86_400, () => 1.5),
    );
    fx.writeSeries(
      'db1',
      'cpu',
      'user',
      series(60, 86_400, () => 20),
    );
  });
  after(() => fx.close());

  async function find(query: string, extra = ''): Promise<FindNode[]> {
    const res = await fx.get(`/metrics/find?query=${encodeURIComponent(query)}${extra}`);
    assert.equal(res.status, 200);
    return FindNode.array().parse(await res.json());
  }

  async function post(path: string, body: string): Promise<Response> {
    return fetch(`${fx.base}${path}`, { method: 'POST', headers: FORM, body });
  }

  it('/metrics/find returns treejson nodes: host IDs filtered, each dot of a plugin name a level', async () => {
    assert.deepEqual(await find('*'), [
      { text: 'db1', id: 'db1', allowChildren: 1, expandable: 1, leaf: 0 },
      { text: 'web01examplecom', id: 'web01examplecom', allowChildren: 1, expandable: 1, leaf: 0 },
    ]);
    assert.deepEqual(
      (await find('web01examplecom.*')).map((n) => n.id),
      ['web01examplecom.if_eth0', 'web01examplecom.load'],
    );
    assert.deepEqual(
      (await find('web01examplecom.if_eth0.*.*')).map((n) => n.id),
      ['web01examplecom.if_eth0.*.rx', 'web01examplecom.if_eth0.*.tx'],
    );
    assert.deepEqual(await find('db1.cpu.*'), [
      { text: 'system', id: 'db1.cpu.system', allowChildren: 0, expandable: 0, leaf: 1 },
      { text: 'user', id: 'db1.cpu.user', allowChildren: 0, expandable: 0, leaf: 1 },
    ]);
    assert.deepEqual(
      (await find('*.{load,cpu}.u*')).map((n) => n.id),
      ['*.{load,cpu}.user'],
      "ids keep the query's globs, as graphite-web's and carbonapi's treejson",
    );
    assert.deepEqual(await find('db1.cpu.user.more'), []);
    assert.deepEqual(await find('nothing.*'), []);
    assert.equal((await find('db1.*', '&wildcards=1'))[0].text, '*');
  });

  it("/metrics/find accepts Grafana's POST body, the /metrics alias and the completer format", async () => {
    const res = await post('/metrics/find', 'query=db1.*');
    assert.equal(res.status, 200);
    assert.deepEqual(
      FindNode.array()
        .parse(await res.json())
        .map((n) => n.text),
      ['cpu', 'load'],
    );
    const alias = await fx.get('/metrics?query=db1');
    assert.deepEqual(await alias.json(), [{ text: 'db1', id: 'db1', allowChildren: 1, expandable: 1, leaf: 0 }]);
    const completer = await fx.get('/metrics/find?query=db1.load.*&format=completer');
    assert.deepEqual(await completer.json(), { metrics: [{ path: 'db1.load.load', name: 'load', is_leaf: '1' }] });
    const missing = await fx.get('/metrics/find');
    assert.equal(missing.status, 400);
    assert.equal(ErrorResponse.parse(await missing.json()).parameter, 'query');
  });

  it("answers Grafana's editor: /functions, /version, empty tag lists, finds with from/until", async () => {
    const functions = (await (await fx.get('/functions')).json()) as Record<string, { name: string; group: string }>;
    assert.equal(functions.sumSeries.group, 'Combine');
    assert.equal(functions.logarithm.name, 'logarithm');
    const one = await fx.get('/functions/movingAverage');
    assert.equal(((await one.json()) as { name: string }).name, 'movingAverage');
    assert.equal((await fx.get('/functions/nosuch')).status, 404);
    assert.equal(await (await fx.get('/version')).text(), '1.1.8');
    for (const path of ['/tags/autoComplete/tags?tagPrefix=a', '/tags/autoComplete/values?tag=name']) {
      const res = await fx.get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), [], path);
    }
    const windowed = await find('db1.*', `&from=${NOW - 3600}&until=${NOW}`);
    assert.deepEqual(
      windowed.map((n) => n.text),
      (await find('db1.*')).map((n) => n.text),
    );
    const badFrom = await fx.get('/metrics/find?query=db1.*&from=-3parsecs');
    assert.equal(badFrom.status, 400);
    assert.equal(ErrorResponse.parse(await badFrom.json()).parameter, 'from');
  });

  it('/metrics/expand lists the matching paths', async () => {
    const res = await fx.get('/metrics/expand?query=*.load.*&query=db1.cpu');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.deepEqual(ExpandResponse.parse(await res.json()).results, ['db1.cpu', 'db1.load.load', 'web01examplecom.load.load']);
    const leaves = await fx.get('/metrics/expand?query=db1.*&leavesOnly=1');
    assert.deepEqual((await leaves.json()).results, []);
  });

  it('/render returns [value, epoch] datapoints equal to /data', async () => {
    const res = await fx.get('/render?target=web01examplecom.load.load&from=-1h&until=now&format=json');
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const [s] = RenderResponse.parse(await res.json());
    assert.equal(s.target, 'web01examplecom.load.load');
    assert.deepEqual(s.tags, { name: 'web01examplecom.load.load' });
    assert.equal(s.datapoints.length, 60);
    const data = DataResponse.parse(await (await fx.get('/data?host=web01.example.com&plugin=load&ds=load&from=-1h&until=now')).json());
    assert.deepEqual(
      s.datapoints,
      data.DATAS.load.map((v, i) => [v, data.TS_start + i * data.TS_step]),
    );
    assert.equal(s.datapoints.at(-1)?.[1], NOW - (NOW % 60));
  });

  it('/render expands globs and several targets, consolidates to maxDataPoints', async () => {
    const res = await fx.get('/render?target=*.load.load&target=db1.cpu.{user,system}&from=-1d&maxDataPoints=100');
    const list = RenderResponse.parse(await res.json());
    assert.deepEqual(
      list.map((s) => s.target),
      ['db1.load.load', 'web01examplecom.load.load', 'db1.cpu.user'],
      'series without a file (db1.cpu.system) are left out, as in Graphite',
    );
    for (const s of list) {
      assert.ok(s.datapoints.length <= 100);
      assert.equal(s.datapoints[1][1] - s.datapoints[0][1], 900);
    }
    assert.ok(list[2].datapoints.every(([v]) => v === 20 || v === null));
    // 60 values into 3: k = 20, buckets on multiples of 1200 s, the partial leading one dropped.
    const [three] = RenderResponse.parse(await (await fx.get('/render?target=db1.load.load&from=-1h&maxDataPoints=3')).json());
    assert.deepEqual(
      three.datapoints.map(([, t]) => t),
      [0, 1, 2].map((i) => NOW - (NOW % 1200) - (2 - i) * 1200),
    );
    assert.ok(three.datapoints.every(([v]) => v === 1.5));
    // Two days back: the day before the data is null, unless noNullPoints drops it.
    const [withNulls] = RenderResponse.parse(await (await fx.get('/render?target=db1.cpu.user&from=-2d')).json());
    const [dense] = RenderResponse.parse(await (await fx.get('/render?target=db1.cpu.user&from=-2d&noNullPoints=1')).json());
    assert.ok(withNulls.datapoints.some(([v]) => v === null));
    assert.deepEqual(
      dense.datapoints,
      withNulls.datapoints.filter(([v]) => v !== null),
    );
  });

  it('answers Grafana\'s "Save & test" and aliasSub-wrapped panel queries (POST form)', async () => {
    const from = NOW - 3600;
    const test = await post(
      '/render',
      // What Grafana sends; graphite-web 1.1 names the line "100.0" (the value is a Python float).
      `target=${encodeURIComponent('aliasSub(constantLine(100), "(^.*$)", "\\1 A")')}&from=${from}&until=${NOW}&format=json&maxDataPoints=300`,
    );
    assert.equal(test.status, 200);
    assert.deepEqual(await test.json(), [
      {
        target: '100.0 A',
        tags: { name: '100.0' },
        datapoints: [
          [100, from],
          [100, from + 1800],
          [100, from + 3600],
        ],
      },
    ]);
    const panel = await post(
      '/render',
      `target=${encodeURIComponent('aliasSub(db1.load.load, "(^.*$)", "\\1 B")')}&from=${from}&until=${NOW}&format=json`,
    );
    const [s] = RenderResponse.parse(await panel.json());
    assert.equal(s.target, 'db1.load.load B');
    assert.ok(s.datapoints.every(([v]) => v === 1.5));
    const byNode = await fx.get(`/render?target=${encodeURIComponent('aliasByNode(scale(db1.cpu.user, 0.5), 0, 2)')}&from=-10min`);
    const [n] = RenderResponse.parse(await byNode.json());
    assert.equal(n.target, 'db1.user');
    assert.ok(n.datapoints.every(([v]) => v === 10));
  });

  it('never turns unsafe names stored in Redis into file paths', async () => {
    await fx.addHost('bad');
    await fx.redis.hset(fx.keys.infos('bad'), '..', JSON.stringify({ Plugin: '..', Title: 't', Infos: { passwd: { id: 'passwd' } } }));
    await fx.addPlugin('bad', 'ok', { '../../../../etc/passwd': 'x', '..': 'y' });
    assert.deepEqual(await find('bad.*'), [{ text: 'ok', id: 'bad.ok', allowChildren: 1, expandable: 1, leaf: 0 }]);
    assert.deepEqual(await find('bad.*.*'), []);
    const res = await fx.get('/render?target=bad.*.*&from=-1h');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
  });

  it('refuses unknown functions, formats and bad targets with a 400 naming the problem', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['target=nosuchFunction(db1.*.*)', 'target', /unknown function "nosuchFunction"/],
      ['target=db1.load.load&format=svg', 'format', /svg/],
      ['target=db1.load.load&jsonp=alert', 'jsonp', /jsonp/],
      ['from=-1h', 'target', /missing/],
      [`target=${encodeURIComponent('aliasSub(db1.load.load, "(a)\\1", "x")')}`, 'target', /invalid regex/],
      ['target=db1.load.load&from=%3Cimg%3E', 'from', /not a time/],
    ];
    for (const [query, parameter, message] of cases) {
      const res = await fx.get(`/render?${query}`);
      assert.equal(res.status, 400, query);
      const text = await res.text();
      assert.ok(!/<img>/.test(text));
      const body = ErrorResponse.parse(JSON.parse(text));
      assert.equal(body.parameter, parameter, query);
      assert.match(body.error, message, query);
    }
  });
});

describe('storage API: Graphite limits', () => {
  it('refuses finds and renders matching more than max_find_results', async () => {
    const fx = await startFixture({ settings: { maxFindResults: 2 } });
    try {
      for (const host of ['a', 'b', 'c']) {
        await fx.addHost(host);
        await fx.addPlugin(host, 'load', { load: 'load' });
      }
      const res = await fx.get('/metrics/find?query=*');
      assert.equal(res.status, 400);
      const body = ErrorResponse.parse(await res.json());
      assert.equal(body.parameter, 'query');
      assert.match(body.error, /max_find_results \(2\)/);
      const render = await fx.get('/render?target=*.load.load');
      assert.equal(render.status, 400);
      assert.match((await render.json()).error, /max_find_results/);
      assert.equal((await fx.get('/metrics/find?query=a.*')).status, 200);
    } finally {
      await fx.close();
    }
  });

  it('a damaged file leaves its series out of a render, not the others; alone it is a 500 naming it', async () => {
    const fx = await startFixture();
    try {
      await fx.addHost('h1');
      await fx.addHost('h2');
      await fx.addPlugin('h1', 'load', { load: 'load' });
      await fx.addPlugin('h2', 'load', { load: 'load' });
      fx.writeSeries(
        'h1',
        'load',
        'load',
        series(60, 3600, () => 2),
      );
      truncateSync(fx.writeSeries('h2', 'load', 'load', []), 20);
      const window = `&from=${NOW - 3600}&until=${NOW}&now=${NOW}`;
      const mixed = await fx.get(`/render?target=${encodeURIComponent('sumSeries(*.load.load)')}${window}`);
      assert.equal(mixed.status, 200);
      const [sum] = RenderResponse.parse(await mixed.json());
      assert.equal(sum.target, 'sumSeries(*.load.load)');
      assert.ok(
        sum.datapoints.some(([v]) => v === 2),
        'the readable series is summed',
      );
      const alone = await fx.get(`/render?target=h2.load.load${window}`);
      assert.equal(alone.status, 500);
      assert.match(ErrorResponse.parse(await alone.json()).error, /h2\.load\.load/);
    } finally {
      await fx.close();
    }
  });
});
