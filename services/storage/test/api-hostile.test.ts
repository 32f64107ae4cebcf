/**
 * Hostile requests against the storage API: every one gets a clear answer (a 4xx naming
 * the parameter or the limit, or an empty result where Graphite gives one), nothing is
 * read or built beyond the limits, memory stays bounded, and /health keeps answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorResponse } from '../../../common/schemas/index.js';
import { type Fixture, NOW, series, startFixture } from './api-fixtures.js';

const HOST = 'web01';
const PLUGINS = ['load', 'cpu', 'if_eth0'];
const TWO_YEARS = 2 * 365 * 86_400;
const MB = 1024 * 1024;

interface Case {
  path: string;
  status: number;
  parameter?: string;
  /** A piece of the message that names the limit or the problem. */
  says?: RegExp;
}

describe('storage API: hostile requests', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ settings: { maxReadPoints: 10_000, maxPoints: 5000 } });
    await fx.addHost(HOST);
    for (const plugin of PLUGINS) {
      await fx.addPlugin(HOST, plugin, { value: 'value' });
      fx.writeSeries(
        HOST,
        plugin,
        'value',
        series(60, 86_400, (t) => t % 13),
      );
    }
  });
  after(() => fx.close());

  async function expectCase(c: Case): Promise<void> {
    const res = await fx.get(c.path);
    const text = await res.text();
    assert.equal(res.status, c.status, `${c.path}: ${text.slice(0, 300)}`);
    if (c.status < 400) return;
    const body = ErrorResponse.parse(JSON.parse(text));
    if (c.parameter) assert.equal(body.parameter, c.parameter, `${c.path}: ${body.error}`);
    if (c.says) assert.match(body.error, c.says, c.path);
  }

  it('windows older than the retention build nothing (50 × *.*.* from=0&until=-2y)', async () => {
    const targets = Array.from({ length: 50 }, () => 'target=*.*.*').join('&');
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 2);
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => fx.get(`/render?${targets}&from=0&until=-2y`).then(async (r) => [r.status, await r.json()])),
      );
      for (const [status, body] of answers) {
        assert.equal(status, 200);
        assert.deepEqual(body, []);
      }
      const data = await fx.get(`/data?host=${HOST}&plugin=load&ds=value&from=0&until=-2y`);
      assert.equal(data.status, 200);
      assert.deepEqual((await data.json()).DATAS, { value: [] });
    } finally {
      clearInterval(sampler);
    }
    // Before, each of those series was (until - from) / 3600 = 450,000 nulls: 600 MB for these requests.
    assert.ok(peak - before < 64 * MB, `heap grew by ${((peak - before) / MB).toFixed(0)} MB`);
  });

  it('a from in the future is an empty answer, not an error (as Graphite)', async () => {
    for (const window of ['from=now%2B1h&until=now%2B2h', 'from=now%2B1h', `from=${NOW + 60}&until=${NOW + 600}`]) {
      const render = await fx.get(`/render?target=${HOST}.load.value&${window}`);
      assert.equal(render.status, 200, window);
      assert.deepEqual(await render.json(), []);
      const data = await fx.get(`/data?host=${HOST}&plugin=load&ds=value&${window}`);
      assert.equal(data.status, 200, window);
      const body = await data.json();
      assert.deepEqual(body.DATAS, { value: [] });
      assert.equal(body.TS_step, 60);
    }
  });

  it('checks the read budget from the headers before reading any data', async () => {
    fx.fetched.length = 0;
    // A year: 3 series × 8784 hourly slots. A month: 4464 ten-minute slots.
    await expectCase({ path: '/render?target=*.*.*&from=-1y', status: 400, parameter: 'target', says: /max_read_points \(10000\)/ });
    await expectCase({ path: `/data?host=${HOST}&plugin=load&ds=value&from=-31d`, status: 200 });
    assert.equal(fx.fetched.length, 1, 'only the allowed /data read its file');
    fx.fetched.length = 0;
    await expectCase({
      path: `/render?${Array.from({ length: 3 }, () => 'target=*.*.*').join('&')}&from=-7d`,
      status: 400,
      parameter: 'target',
      says: /would read \d+ stored values, more than max_read_points/,
    });
    assert.ok(fx.fetched.length <= 3, 'the second target read nothing');
  });

  it('checks max_points before reading /data, and maxDataPoints shrinks the answer to fit', async () => {
    fx.fetched.length = 0;
    await expectCase({
      path: `/data?host=${HOST}&plugin=cpu&ds=value&res=Yearly`,
      status: 400,
      parameter: 'maxDataPoints',
      says: /max_points \(5000\)/,
    });
    await expectCase({ path: `/data?host=${HOST}&plugin=cpu&ds=value,value&from=-31d`, status: 200 });
    assert.equal(fx.fetched.length, 1, 'the refused /data read nothing');
    await expectCase({ path: '/render?target=*.*.*&from=-7d', status: 400, parameter: 'maxDataPoints', says: /max_points \(5000\)/ });
    await expectCase({ path: `/data?host=${HOST}&plugin=cpu&ds=value&res=Yearly&maxDataPoints=100`, status: 200 });
    await expectCase({ path: '/render?target=*.*.*&from=-7d&maxDataPoints=100', status: 200 });
  });

  it('refuses malformed numbers, names and oversized parameters with a 400 naming them', async () => {
    const data = `/data?host=${HOST}&plugin=load&ds=value`;
    const cases: Case[] = [
      ...['NaN', '-5', '0', '1e9', '0x10', '%205', '9999999999999', '1.5', 'Infinity'].map((v) => ({
        path: `${data}&res=Daily&maxDataPoints=${v}`,
        status: 400,
        parameter: 'maxDataPoints',
      })),
      ...['NaN', '-', 'now-', '-99999999999y', '1e10', '-1h-', 'Infinity', '%F0%9F%92%A5'].map((v) => ({
        path: `${data}&from=${v}`,
        status: 400,
        parameter: 'from',
      })),
      { path: `/render?target=${HOST}.load.value&until=NaN`, status: 400, parameter: 'until' },
      { path: `/render?target=${HOST}.load.value&maxDataPoints=-1`, status: 400, parameter: 'maxDataPoints' },
      { path: `/search?q=x&limit=-1`, status: 400, parameter: 'limit' },
      { path: `/search?q=x&limit=100000`, status: 400, parameter: 'limit' },
      // Path traversal in names: refused before Redis or the disk.
      { path: '/list?host=../../etc', status: 400, parameter: 'host' },
      { path: '/info?host=web01&plugin=..', status: 400, parameter: 'plugin' },
      { path: `${data.replace('ds=value', 'ds=../../../etc/passwd')}&res=Daily`, status: 400, parameter: 'ds' },
      { path: `/data?host=${HOST}&plugin=.hidden&ds=value&res=Daily`, status: 404, parameter: 'plugin' },
      { path: '/hinfo?host=%00', status: 400, parameter: 'host' },
      { path: '/metrics/find?query=..', status: 400, parameter: 'query' },
      { path: '/hinfo?host=a%0Ab', status: 400, parameter: 'host' },
      // Unicode is a name like any other: unknown, not an error.
      { path: '/hinfo?host=%C3%A9t%C3%A9', status: 404, parameter: 'host' },
      { path: '/hinfo?host=%F0%9F%92%A5%E2%80%AE', status: 404, parameter: 'host' },
      { path: '/hinfo?host=%FF%FE', status: 404, parameter: 'host' },
      // Long parameters.
      { path: `/hinfo?host=${'a'.repeat(5000)}`, status: 400, parameter: 'host', says: /longer than 4096/ },
      { path: `/render?target=${'a.'.repeat(2100)}a`, status: 400, parameter: 'target', says: /longer than 4096/ },
      { path: `/search?q=${'x'.repeat(300)}`, status: 400, parameter: 'q' },
      {
        path: `/render?${Array.from({ length: 51 }, (_, i) => `target=a${i}.b.c`).join('&')}`,
        status: 400,
        parameter: 'target',
        says: /50 targets/,
      },
      { path: `${data}&res=Daily&host=web02`, status: 400, parameter: 'host', says: /more than once/ },
      { path: `/render?target=${HOST}.load.value&format=pickle`, status: 400, parameter: 'format' },
    ];
    for (const c of cases) await expectCase(c);
    // Traversal in Graphite paths names no node: nothing is found, nothing is opened.
    fx.opened.length = 0;
    for (const target of ['..%2F..%2Fetc.passwd.x', '%2Fetc.*.*', `${HOST}.load.value%2F..%2F..`, '*.*.%00']) {
      const res = await fx.get(`/render?target=${target}`);
      assert.ok(res.status === 200 || res.status === 400, `${target}: ${res.status}`);
      if (res.status === 200) assert.deepEqual(await res.json(), [], target);
      else ErrorResponse.parse(await res.json());
    }
    assert.deepEqual(fx.opened, []);
  });

  it('keeps /health answering while hostile requests run', async () => {
    const hostile = [
      `/render?${Array.from({ length: 50 }, () => 'target=*.*.*').join('&')}&from=0&until=-2y`,
      '/render?target=*.*.*&from=-1y',
      `/data?host=${HOST}&plugin=load&ds=value&from=0&until=-${TWO_YEARS}s`,
      `/hinfo?host=${'a'.repeat(5000)}`,
    ];
    let running = true;
    const load = (async () => {
      while (running) await Promise.all(hostile.map((p) => fx.get(p).then((r) => r.arrayBuffer())));
    })();
    try {
      for (let i = 0; i < 10; i++) {
        const res = await fx.get('/health');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
    } finally {
      running = false;
      await load;
    }
  });
});

describe('storage API: hostile globs', () => {
  let fx: Fixture;
  const HOSTS = 2000;
  before(async () => {
    fx = await startFixture({ settings: { maxFindResults: 50 } });
    const pipeline = fx.redis.pipeline();
    for (let i = 0; i < HOSTS; i++) {
      const id = `${'h'.repeat(190)}${i}`;
      pipeline.hset(fx.keys.hosts, id, JSON.stringify({ Plugin: 'MyInfo', ID: id, Name: id, Description: '' }));
    }
    await pipeline.exec();
  });
  after(() => fx.close());

  async function expectError(path: string, parameter: string, says: RegExp): Promise<void> {
    const res = await fx.get(path);
    const text = await res.text();
    assert.equal(res.status, 400, `${path.slice(0, 100)}: ${text.slice(0, 200)}`);
    const body = ErrorResponse.parse(JSON.parse(text));
    assert.equal(body.parameter, parameter);
    assert.match(body.error, says);
  }

  it('refuses the 128 alternatives × 216 wildcards pattern, and long or wild nodes, by their limits', async () => {
    // 7 lists of 2 are 128 alternatives, each with 216 wildcards: 5.4 s over 1,000 names before.
    const attack = `${'{a,b}'.repeat(7)}${'?'.repeat(216)}`;
    await expectError(`/metrics/find?query=${encodeURIComponent(attack)}`, 'query', /more than 64 wildcards/);
    const wide = `{${Array.from({ length: 128 }, () => '*'.repeat(216)).join(',')}}`;
    await expectError(`/metrics/find?query=${encodeURIComponent(wide.slice(0, 4000))}`, 'query', /longer than 256 characters/);
    await expectError(`/metrics/find?query=${'?*'.repeat(40)}`, 'query', /more than 64 wildcards/);
    await expectError(`/render?target=${'?*'.repeat(40)}.a.b`, 'target', /more than 64 wildcards/);
  });

  it('bounds /metrics/expand: number of queries, total matches, matching work', async () => {
    await expectError(`/metrics/expand?${Array.from({ length: 51 }, (_, i) => `query=a${i}`).join('&')}`, 'query', /more than 50 queries/);
    // Each query alone is fine (10 matches); together they pass max_find_results.
    const some = Array.from({ length: 6 }, (_, d) => `query=${'h'.repeat(190)}${d + 1}?`).join('&');
    await expectError(`/metrics/expand?${some}`, 'query', /max_find_results \(50\) paths together/);
    // The costliest pattern allowed, 50 times over 2,000 long names: stopped by the work budget.
    const costly = `*${'?*'.repeat(31)}z`;
    const path = `/metrics/expand?${Array.from({ length: 50 }, () => `query=${encodeURIComponent(costly)}`).join('&')}`;
    const answer = fx.get(path);
    for (let i = 0; i < 5; i++) assert.equal((await fx.get('/health')).status, 200);
    const res = await answer;
    const body = ErrorResponse.parse(await res.json());
    assert.equal(res.status, 400);
    assert.equal(body.parameter, 'query');
    assert.match(body.error, /matching steps/);
    // One such query is within the budget: an empty answer.
    const one = await fx.get(`/metrics/find?query=${encodeURIComponent(costly)}`);
    assert.equal(one.status, 200);
    assert.deepEqual(await one.json(), []);
  });
});
