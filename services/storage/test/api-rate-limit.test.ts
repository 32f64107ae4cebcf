/**
 * Rate limits per credential, after authentication: anonymous floods (through the
 * documented nginx every anonymous client shares the proxy's address) cannot lock Grafana
 * or the webapp out, each credential has its own bucket, known clients have their own
 * rate (the webapp: unlimited), and client addresses come from X-Forwarded-For only when
 * trust_proxy says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../common/config/index.js';
import { ErrorResponse } from '../../../common/schemas/index.js';
import { apiConfigFrom } from '../src/api/settings.js';
import { loadStorageConfig } from '../src/config.js';
import { type Fixture, type FixtureOptions, startFixture } from './api-fixtures.js';

const GRAFANA = 'grafana-token-0123456789';
const OTHER = 'other-token-0123456789';
const WEBAPP = 'webapp-token-0123456789:with:colons';
const CI = 'ci-token-0123456789abcdef';

async function withFixture(options: FixtureOptions, fn: (fx: Fixture) => Promise<void>): Promise<void> {
  const fx = await startFixture(options);
  try {
    await fx.addHost('web01');
    await fn(fx);
  } finally {
    await fx.close();
  }
}

async function statuses(fx: Fixture, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fx.get('/hosts', headers);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('storage API: rate limits per credential', () => {
  const settings = {
    authTokens: [GRAFANA, OTHER],
    clients: [
      { name: 'webapp', token: WEBAPP, ratePerMinute: 0 },
      { name: 'ci', token: CI, ratePerMinute: 5 },
    ],
    basicUsers: { viewer: 'pa:ss' },
    rateLimitPerMinute: 10,
  };

  it('an anonymous flood does not lock out Grafana or the webapp', async () => {
    await withFixture({ settings }, async (fx) => {
      const anonymous = await statuses(fx, 15);
      assert.deepEqual(anonymous.slice(0, 10), Array(10).fill(401));
      assert.deepEqual(anonymous.slice(10), Array(5).fill(429), 'anonymous requests are limited per address');
      assert.deepEqual(await statuses(fx, 3, bearer(GRAFANA)), [200, 200, 200]);
      assert.deepEqual(await statuses(fx, 3, bearer(WEBAPP)), [200, 200, 200]);
    });
  });

  it('gives each credential its own bucket, and known clients their own rate', async () => {
    await withFixture({ settings }, async (fx) => {
      const grafana = await statuses(fx, 12, bearer(GRAFANA));
      assert.deepEqual(grafana, [...Array(10).fill(200), 429, 429]);
      const res = await fx.get('/hosts', bearer(GRAFANA));
      assert.equal(res.status, 429);
      assert.match(ErrorResponse.parse(await res.json()).error, /more than rate_limit_per_minute \(10\) per minute for this credential/);
      assert.ok(res.headers.get('ratelimit'), 'RateLimit headers');
      assert.deepEqual(await statuses(fx, 2, bearer(OTHER)), [200, 200], 'another token is not affected');
      assert.deepEqual(await statuses(fx, 2, { authorization: `Basic ${btoa('viewer:pa:ss')}` }), [200, 200]);
      // The webapp speaks for many users: unlimited.
      assert.deepEqual(new Set(await statuses(fx, 40, bearer(WEBAPP))), new Set([200]));
      const ci = await statuses(fx, 6, bearer(CI));
      assert.deepEqual(ci, [200, 200, 200, 200, 200, 429]);
      const refused = await fx.get('/hosts', bearer(CI));
      assert.match(ErrorResponse.parse(await refused.json()).error, /client ci in client_tokens \(5\)/);
      assert.equal((await fx.get('/health')).status, 200, '/health is never limited');
    });
  });

  it('takes client addresses from X-Forwarded-For only with trust_proxy', async () => {
    const forwarded = (ip: string) => ({ 'x-forwarded-for': ip });
    await withFixture({ settings: { rateLimitPerMinute: 3, trustProxy: 'loopback' } }, async (fx) => {
      assert.deepEqual(await statuses(fx, 4, forwarded('203.0.113.1')), [200, 200, 200, 429]);
      assert.deepEqual(await statuses(fx, 3, forwarded('203.0.113.2')), [200, 200, 200], 'another client behind the proxy');
    });
    await withFixture({ settings: { rateLimitPerMinute: 3 } }, async (fx) => {
      assert.deepEqual(await statuses(fx, 2, forwarded('203.0.113.1')), [200, 200]);
      assert.deepEqual(await statuses(fx, 2, forwarded('203.0.113.2')), [200, 429], 'the header is not believed: one address');
    });
  });
});

describe('storage config: API limits', () => {
  it('reads name:rate:token entries and lists every bad one without quoting tokens', () => {
    const good = loadStorageConfig({
      file: '/nonexistent',
      env: { NUMETER_STORAGE_API_CLIENT_TOKENS: `webapp:0:${WEBAPP}, ci:120:${CI}`, NUMETER_STORAGE_API_TRUST_PROXY: '1' },
    });
    const api = apiConfigFrom(good).api;
    assert.deepEqual(api.clients, [
      { name: 'webapp', token: WEBAPP, ratePerMinute: 0 },
      { name: 'ci', token: CI, ratePerMinute: 120 },
    ]);
    assert.equal(api.trustProxy, 1);
    assert.equal(api.rateLimitPerMinute, 1800);
    const bad = loadStorageConfig({
      file: '/nonexistent',
      env: { NUMETER_STORAGE_API_CLIENT_TOKENS: `a b:1:${CI}, x:fast:${CI}, y:1:short-secret, z:1:${CI}, z:2:${GRAFANA}, w:3:${CI}` },
    });
    assert.throws(
      () => apiConfigFrom(bad),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const text = e.problems.join('\n');
        assert.equal(e.problems.length, 5, text);
        assert.match(text, /"a b".*name must be/);
        assert.match(text, /"x".*requests_per_minute/);
        assert.match(text, /"y".*at least 16 characters/);
        assert.match(text, /"z".*given twice/);
        assert.match(text, /"w".*already another client's/);
        assert.ok(!text.includes('short-secret') && !text.includes(CI), 'tokens are never printed');
        return true;
      },
    );
  });

  it('refuses a shared read pool smaller than one request', () => {
    const config = loadStorageConfig({
      file: '/nonexistent',
      env: { NUMETER_STORAGE_API_MAX_READ_POINTS: '1000', NUMETER_STORAGE_API_MAX_READ_POINTS_IN_FLIGHT: '999' },
    });
    assert.throws(() => apiConfigFrom(config), /max_read_points_in_flight \(999\) is smaller than max_read_points \(1000\)/);
  });
});
