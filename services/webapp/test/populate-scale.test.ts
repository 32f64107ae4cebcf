import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
// The storage engineer's fixture: the real storage API over real Redis (here with its real rate limiter).
import { type Fixture, startFixture } from '../../storage/test/api-fixtures.js';
import { type PopulateProgress, populate } from '../src/populate.js';
import { populateProgress, progressLine } from '../src/populate-progress.js';
import type { Storage } from '../src/repos/index.js';
import { newStorageCounters, StorageClient } from '../src/storage-client/client.js';
import { StorageBusyError } from '../src/storage-client/errors.js';
import { type RetryPolicy, retryAfterMs, sleepMs, waitBeforeRetry } from '../src/storage-client/retry.js';
import { createTestEnv, type TestEnv } from './helpers.js';

const HOSTS = 30;
const RATE = 20;
const SHARED_TOKEN = 'shared-token-of-everyone';
const WEBAPP_TOKEN = 'webapp-own-client-token';

function hostId(i: number): string {
  return `node${String(i).padStart(3, '0')}.example`;
}

describe('retry policy', () => {
  const policy: RetryPolicy = { maxWaitMs: 30_000, deadlineMs: 60_000, baseWaitMs: 250, now: () => 0, sleep: async () => {} };

  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:12 GMT', now), 12_000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: now');
    assert.equal(retryAfterMs('-3', now), undefined);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs('12345678901234', now), undefined, 'no absurd numbers');
    assert.equal(retryAfterMs(null, now), undefined);
  });

  it('waits what Retry-After says, capped, and backs off exponentially without it', () => {
    assert.equal(waitBeforeRetry(policy, 1, 5000), 5000);
    assert.equal(waitBeforeRetry(policy, 1, 3_600_000), 30_000, 'capped at maxWaitMs');
    assert.equal(waitBeforeRetry(policy, 1, 0), 250, 'Retry-After: 0 still waits the base');
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => waitBeforeRetry(policy, a, undefined)),
      [250, 500, 1000, 2000],
    );
    assert.equal(waitBeforeRetry(policy, 40, undefined), 30_000);
  });
});

describe('storage client retries 429 and 503', () => {
  // A storage that refuses the first `refusals` requests with `status` and Retry-After: 2.
  let refusals = 0;
  let status = 429;
  let seen = 0;
  const server = createServer((_req, res) => {
    seen++;
    if (refusals > 0) {
      refusals--;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end(JSON.stringify({ error: 'too many requests' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  let storage: Storage;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    storage = { id: 1, name: 'busy', protocol: 'http', address: '127.0.0.1', port, urlPrefix: '', login: '', password: '', token: '' };
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A policy whose clock advances by each wait, recording the waits (no real time passes). */
  function virtualPolicy(deadlineMs: number) {
    let clock = 0;
    const waits: number[] = [];
    const policy: RetryPolicy = {
      maxWaitMs: 30_000,
      deadlineMs,
      baseWaitMs: 250,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    };
    return { policy, waits };
  }

  it('waits Retry-After between tries and returns the answer, counting the retries', async () => {
    for (const s of [429, 503]) {
      status = s;
      refusals = 3;
      seen = 0;
      const { policy, waits } = virtualPolicy(60_000);
      const counters = newStorageCounters();
      const client = new StorageClient(storage, 1000, counters, undefined, policy);
      assert.deepEqual(await client.getHosts(), {});
      assert.deepEqual(waits, [2000, 2000, 2000]);
      assert.equal(seen, 4);
      assert.equal(counters.retried, 3);
      assert.equal(counters.gaveUp, 0);
    }
  });

  it('gives up at the deadline with an error naming the status, the tries and the cure', async () => {
    status = 429;
    refusals = 100;
    const { policy, waits } = virtualPolicy(5000);
    const counters = newStorageCounters();
    const client = new StorageClient(storage, 1000, counters, undefined, policy);
    await assert.rejects(client.getPluginList('a'), (e: Error) => {
      assert.ok(e instanceof StorageBusyError, String(e));
      assert.match(e.message, /HTTP 429 on \/list after 3 tries in 4\.0 s/);
      assert.match(e.message, /client token/);
      assert.match(e.detail ?? '', /too many requests/);
      return true;
    });
    assert.deepEqual(waits, [2000, 2000], 'a third wait would pass the 5 s deadline');
    assert.equal(counters.gaveUp, 1);
    assert.equal(counters.unavailable, 1);
  });

  it('does not retry without a policy (NO_RETRY)', async () => {
    status = 503;
    refusals = 1;
    seen = 0;
    await assert.rejects(new StorageClient(storage, 1000).getHosts(), (e: Error) => e instanceof StorageBusyError);
    assert.equal(seen, 1);
  });
});

describe('populate progress', () => {
  const p = (done: number): PopulateProgress => ({
    storage: 'main',
    hostsTotal: 10,
    hostsDone: done,
    hostsUnchanged: 1,
    hostsFailed: 0,
    retried: 2,
    elapsedMs: done * 100,
  });
  it('redraws one line with \\r on a terminal, throttled, and ends it once', () => {
    const written: string[] = [];
    const progress = populateProgress({ isTTY: true, write: (s) => written.push(s) }, silentLogger());
    for (let done = 1; done <= 10; done++) progress.onProgress(p(done));
    progress.done();
    assert.equal(progressLine(p(10)), 'main: 10/10 hosts, 1 unchanged, 0 failed, 2 retries, 10 hosts/s');
    assert.ok(written.every((w) => w.startsWith('\r')));
    assert.ok(written.length < 10, `throttled: ${written.length} draws for 10 hosts`);
    assert.equal(written.at(-1), `\r${progressLine(p(10))}\n`, 'the last line stays, with no extra newline');
  });
  it('writes nothing to a pipe or a file', () => {
    const written: string[] = [];
    const progress = populateProgress({ isTTY: false, write: (s) => written.push(s) }, silentLogger());
    for (let done = 1; done <= 10; done++) progress.onProgress(p(done));
    progress.done();
    assert.deepEqual(written, []);
  });
});

describe('populate against the real storage with a low rate limit', () => {
  let t: TestEnv;
  let fx: Fixture;
  before(async () => {
    t = await createTestEnv();
    // A shared token with the default kind of limit (low here), and the webapp's own client token (unlimited).
    fx = await startFixture({
      settings: {
        rateLimitPerMinute: RATE,
        authTokens: [SHARED_TOKEN],
        clients: [{ name: 'webapp', token: WEBAPP_TOKEN, ratePerMinute: 0 }],
      },
    });
    for (let i = 0; i < HOSTS; i++) {
      await fx.addHost(hostId(i), { Name: `node${i}` });
      await fx.addPlugin(hostId(i), 'load', { load: 'load' });
      await fx.addPlugin(hostId(i), 'if_eth0', { up: 'sent', down: 'received' });
    }
    await t.deps.repos.storages.create({
      name: 'limited',
      protocol: 'http',
      address: '127.0.0.1',
      port: Number(new URL(fx.base).port),
      urlPrefix: '/numeter-storage',
      login: '',
      password: '',
      token: SHARED_TOKEN,
    });
  });
  after(async () => {
    try {
      await fx.close();
    } finally {
      await t.drop();
    }
  });

  it('completes through the 429s, waiting what Retry-After says, then a second run writes nothing', async () => {
    // More requests (1 + HOSTS) than the minute allows: the rest wait for the storage's next window.
    const waits: number[] = [];
    const retry: RetryPolicy = {
      maxWaitMs: 65_000,
      deadlineMs: 120_000,
      baseWaitMs: 250,
      now: Date.now,
      sleep: (ms) => {
        waits.push(ms);
        return sleepMs(ms);
      },
    };
    const seen: PopulateProgress[] = [];
    // One host per /lists request: more requests than the minute allows.
    const report = await populate(t.deps, undefined, { retry, concurrency: 4, hostsPerBatch: 1, onProgress: (p) => seen.push(p) });
    assert.deepEqual(report.failures, []);
    assert.equal(report.hostsCreated, HOSTS);
    assert.equal(report.pluginsCreated, HOSTS * 2);
    assert.equal(report.sourcesCreated, HOSTS * 3);
    assert.equal(report.multiviewsCreated, HOSTS);
    // The requests in flight when the window ran out each waited once (the others were not sent yet).
    assert.ok(t.deps.storages.counters.retried >= 1, `retried ${t.deps.storages.counters.retried}`);
    // express-rate-limit sends the seconds left in its window: whole seconds, at most a minute.
    assert.ok(waits.length > 0 && waits.every((w) => w % 1000 === 0 && w >= 1000 && w <= 60_000), `waits ${waits}`);
    assert.equal(seen.length, HOSTS);
    assert.equal(seen.at(-1)?.hostsDone, HOSTS);
    const dashboard = (await t.deps.repos.multiviews.byName('node7 (node007.example)'))!;
    assert.equal(dashboard.views.length, 2);
    const view = (await t.deps.repos.views.get(dashboard.views[0]))!;
    const paths = await t.deps.repos.sources.withPath(view.sources);
    assert.deepEqual(
      paths.map((s) => `${s.host.hostid}/${s.plugin.name}/${s.source.name}`),
      ['node007.example/if_eth0/down', 'node007.example/if_eth0/up'],
    );

    // The cure the error names: the webapp's own client token, with its own (unlimited) rate.
    const storage = (await t.deps.repos.storages.byName('limited'))!;
    await t.deps.repos.storages.update(storage.id, { token: WEBAPP_TOKEN });
    const retriedBefore = t.deps.storages.counters.retried;
    const again = await populate(t.deps, undefined, { retry, concurrency: 4, hostsPerBatch: 1 });
    assert.equal(t.deps.storages.counters.retried, retriedBefore, 'no 429 with the client token');
    assert.deepEqual(again.failures, []);
    assert.equal(again.hostsUnchanged, HOSTS);
    assert.deepEqual(
      [again.hostsCreated, again.pluginsCreated, again.sourcesCreated, again.viewsCreated, again.multiviewsCreated],
      [0, 0, 0, 0, 0],
    );
  });

  it('picks up a new plugin on one host and only there', async () => {
    await fx.addPlugin(hostId(3), 'cpu', { user: 'user', system: 'system' });
    await fx.addPlugin(hostId(3), 'load', { load: 'load', load15: 'load 15 min' });
    const report = await populate(t.deps);
    assert.deepEqual(report.failures, []);
    assert.equal(report.hostsUnchanged, HOSTS - 1);
    assert.equal(report.pluginsCreated, 1);
    assert.equal(report.sourcesCreated, 3);
    assert.equal(report.viewsCreated, 0, 'the host keeps its dashboard');
  });
});
