import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ErrorResponse, HealthResponse, SearchResponse } from '../../../common/schemas/index.js';
import { type Fixture, series, startFixture } from './api-fixtures.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('storage API: health, metrics, search, headers', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    await fx.addHost('web01', { Name: 'Frontend One' });
    await fx.addPlugin('web01', 'memory', { used: 'Used memory', free: 'Free' }, { Title: 'Memory usage' });
    await fx.addPlugin('web01', 'load', { load: 'load' });
    await fx.addHost('db-memory-1');
    fx.writeSeries(
      'web01',
      'load',
      'load',
      series(60, 600, () => 1),
    );
  });
  after(() => fx.close());

  it('/health is 200 with every check ok', async () => {
    const res = await fx.get('/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = HealthResponse.parse(await res.json());
    assert.equal(body.status, 'ok');
    assert.deepEqual(Object.keys(body.checks).sort(), ['broker', 'disk', 'redis']);
    assert.ok(Object.values(body.checks).every((c) => c.ok));
  });

  it('/metrics exposes API requests and latency in the Prometheus text format', async () => {
    await fx.get('/hosts');
    await fx.get('/list?host=nope');
    const res = await fx.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.ok(text.endsWith('\n'));
    assert.match(text, /^# HELP numeter_storage_api_requests_total /m);
    assert.match(text, /^# TYPE numeter_storage_api_requests_total counter$/m);
    assert.match(text, /^numeter_storage_api_requests_total\{route="\/numeter-storage\/hosts",method="GET",status="200"\} 1$/m);
    assert.match(text, /^numeter_storage_api_requests_total\{route="\/numeter-storage\/list",method="GET",status="404"\} 1$/m);
    assert.match(text, /^# TYPE numeter_storage_api_request_duration_seconds histogram$/m);
    assert.match(text, /^numeter_storage_api_request_duration_seconds_bucket\{le="\+Inf",route="\/numeter-storage\/hosts"\} 1$/m);
    // Unknown URLs share one label value, so clients cannot add series.
    await fx.get('/random-1');
    await fx.get('/random-2');
    assert.match(await (await fx.get('/metrics')).text(), /route="unmatched",method="GET",status="404"\} 2$/m);
  });

  it('/search finds hosts, plugins and data sources by name or label', async () => {
    const res = await fx.get('/search?q=MEMORY');
    const body = SearchResponse.parse(await res.json());
    assert.deepEqual(body.hosts, [{ host: 'db-memory-1', name: 'db-memory-1' }]);
    assert.deepEqual(body.plugins, [{ host: 'web01', plugin: 'memory', title: 'Memory usage' }]);
    assert.deepEqual(body.dataSources, [{ host: 'web01', plugin: 'memory', ds: 'used', label: 'Used memory' }]);
    assert.equal(body.truncated, false);
    const byName = SearchResponse.parse(await (await fx.get('/search?q=frontend')).json());
    assert.deepEqual(byName.hosts, [{ host: 'web01', name: 'Frontend One' }]);
    const limited = SearchResponse.parse(await (await fx.get('/search?q=e&limit=1')).json());
    assert.equal(limited.hosts.length, 1);
    assert.equal(limited.truncated, true);
    const missing = await fx.get('/search');
    assert.equal(missing.status, 400);
    assert.equal(ErrorResponse.parse(await missing.json()).parameter, 'q');
  });

  it('sends security headers', async () => {
    const res = await fx.get('/hosts');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('content-security-policy'));
    assert.equal(res.headers.get('x-powered-by'), null);
  });
});

describe('storage API: dependencies down', () => {
  it('/health is 503 naming Redis and the broker when they are down; data routes answer 503 JSON', async () => {
    const fx = await startFixture({
      redisPort: await closedPort(),
      health: { broker: async () => ({ ok: false, detail: 'connection refused' }) },
    });
    try {
      const res = await fx.get('/health');
      assert.equal(res.status, 503);
      const body = HealthResponse.parse(await res.json());
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.redis.ok, false);
      assert.ok(body.checks.redis.detail);
      assert.deepEqual(body.checks.broker, { ok: false, detail: 'connection refused' });
      assert.equal(body.checks.disk.ok, true);
      const hosts = await fx.get('/hosts');
      assert.equal(hosts.status, 503);
      assert.match(ErrorResponse.parse(await hosts.json()).error, /Redis/);
    } finally {
      await fx.close();
    }
  });

  it('a probe that throws counts as down, with its message', async () => {
    const fx = await startFixture({
      health: {
        broker: async () => {
          throw new Error('boom');
        },
      },
    });
    try {
      const body = HealthResponse.parse(await (await fx.get('/health')).json());
      assert.deepEqual(body.checks.broker, { ok: false, detail: 'boom' });
    } finally {
      await fx.close();
    }
  });
});

describe('storage API: auth and rate limit', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ settings: { authTokens: ['s3cret-token'], basicUsers: { grafana: 'pa:ss' }, rateLimitPerMinute: 20 } });
    await fx.addHost('web01');
  });
  after(() => fx.close());

  it('answers 401 without valid credentials, 200 with a bearer token or basic auth', async () => {
    const none = await fx.get('/hosts');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.match(none.headers.get('www-authenticate') ?? '', /Basic/);
    assert.ok(ErrorResponse.parse(await none.json()).error);
    for (const header of [
      'Bearer wrong',
      'Bearer s3cret-toke',
      'Bearer s3cret-token2',
      `Basic ${btoa('grafana:pa')}`,
      `Basic ${btoa('other:pa:ss')}`,
      'Token x',
    ]) {
      assert.equal((await fx.get('/hosts', { authorization: header })).status, 401, header);
    }
    assert.equal((await fx.get('/hosts', { authorization: 'Bearer s3cret-token' })).status, 200);
    assert.equal((await fx.get('/hosts', { authorization: `Basic ${btoa('grafana:pa:ss')}` })).status, 200);
    assert.equal((await fx.get('/metrics')).status, 401, 'metrics need credentials too');
    assert.equal((await fx.get('/health')).status, 200, 'health stays open for probes');
  });

  it('answers 429 with a JSON error past the rate limit', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 25; i++) last = await fx.get('/hosts', { authorization: 'Bearer s3cret-token' });
    assert.equal(last?.status, 429);
    assert.match(ErrorResponse.parse(await last?.json()).error, /rate_limit_per_minute \(20\)/);
  });

  it('stop() is idempotent and closes the port', async () => {
    await fx.api.stop(500);
    await fx.api.stop(500);
    await assert.rejects(fx.get('/health'));
  });
});
