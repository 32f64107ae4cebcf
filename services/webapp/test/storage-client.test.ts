import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { alignTo } from '../src/extended-data.js';
import type { Storage } from '../src/repos/index.js';
import { StorageClient, storageBaseUrl } from '../src/storage-client/client.js';
import { StorageNotFoundError, StorageRequestError, StorageUnavailableError } from '../src/storage-client/errors.js';
import {
  addStorage,
  closedPort,
  createTestEnv,
  FIXTURE_HOSTS,
  type FixtureStorage,
  fixtureValue,
  startFixtureStorage,
  type TestEnv,
  TS_START,
} from './helpers.js';

function storageAt(port: number, extra: Partial<Storage> = {}): Storage {
  return {
    id: 1,
    name: 'fixture',
    protocol: 'http',
    address: '127.0.0.1',
    port,
    urlPrefix: '/numeter-storage',
    login: '',
    password: '',
    token: '',
    ...extra,
  };
}

describe('storage client', () => {
  let fixture: FixtureStorage;
  let slow: FixtureStorage;
  before(async () => {
    fixture = await startFixtureStorage();
    slow = await startFixtureStorage({ slowMs: 1500 });
  });
  after(async () => {
    await fixture.close();
    await slow.close();
  });

  it('builds the original base URL', () => {
    assert.equal(
      storageBaseUrl({ protocol: 'https', address: 'st1', port: 8443, urlPrefix: '/numeter-storage' }),
      'https://st1:8443/numeter-storage',
    );
    assert.equal(storageBaseUrl({ protocol: 'http', address: '::1', port: 80, urlPrefix: '' }), 'http://[::1]:80');
  });

  it('reads hosts, plugin lists, infos and data in the storage shapes', async () => {
    const c = new StorageClient(storageAt(fixture.port), 1000);
    assert.deepEqual(Object.keys(await c.getHosts()), Object.keys(FIXTURE_HOSTS));
    assert.equal((await c.getHostInfo('web1.example')).Name, 'web1');
    const list = await c.getPluginList('web1.example');
    assert.equal(list.cpu.Infos.user.draw, 'AREA');
    assert.equal((await c.getPluginInfo('web1.example', 'load')).Title, 'Load average');
    const data = await c.getData('web1.example', 'cpu', ['user', 'system'], { res: 'Weekly' });
    assert.equal(data.TS_start, TS_START);
    assert.equal(data.TS_step, 300);
    assert.deepEqual(
      data.DATAS.system,
      [0, 1, 2, 3].map((i) => fixtureValue('web1.example', 'system', i)),
    );
    assert.match(fixture.requests.at(-1)!, /\/numeter-storage\/data\?host=web1\.example&plugin=cpu&ds=user%2Csystem&res=Weekly$/);
    await c.getData('web1.example', 'cpu', ['user'], { from: 100, until: 200, maxDataPoints: 50 });
    assert.match(fixture.requests.at(-1)!, /from=100&until=200&maxDataPoints=50$/);
  });

  it('sends the storage credentials', async () => {
    const { default: express } = await import('express');
    const app = express();
    const seen: string[] = [];
    app.get('/numeter-storage/hosts', (req, res) => {
      seen.push(String(req.headers.authorization));
      res.json({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    try {
      await new StorageClient(storageAt(port, { token: 'tok' }), 1000).getHosts();
      await new StorageClient(storageAt(port, { login: 'u', password: 'p' }), 1000).getHosts();
      assert.deepEqual(seen, ['Bearer tok', `Basic ${Buffer.from('u:p').toString('base64')}`]);
    } finally {
      server.close();
    }
  });

  it('maps 404 and 400 answers to typed errors', async () => {
    const c = new StorageClient(storageAt(fixture.port), 1000);
    await assert.rejects(
      c.getPluginList('nope.example'),
      (e) => e instanceof StorageNotFoundError && /unknown host nope\.example/.test(e.message),
    );
    await assert.rejects(
      c.getData('web1.example', 'cpu', ['user'], { res: 'Bogus' as 'Daily' }),
      (e) => e instanceof StorageRequestError && e.parameter === 'res',
    );
  });

  it('reports an unreachable storage, a timeout and an invalid body as StorageUnavailableError', async () => {
    const refused = new StorageClient(storageAt(await closedPort(), { name: 'gone' }), 1000);
    await assert.rejects(
      refused.getHosts(),
      (e) =>
        e instanceof StorageUnavailableError &&
        e.storageName === 'gone' &&
        /unreachable$/.test(e.message) &&
        // the connect error and address are for logs and the command line, not for users
        !/ECONNREFUSED|127\.0\.0\.1/.test(e.message) &&
        /ECONNREFUSED/.test(e.detail ?? ''),
    );
    const started = Date.now();
    await assert.rejects(
      new StorageClient(storageAt(slow.port), 200).getHosts(),
      (e) => e instanceof StorageUnavailableError && /no answer within 200 ms/.test(e.message),
    );
    assert.ok(Date.now() - started < 1200, 'the timeout cut the request short');
    const broken = new StorageClient(storageAt(fixture.port, { urlPrefix: '/numeter-storage/broken' }), 1000);
    await assert.rejects(broken.getHosts(), (e) => e instanceof StorageUnavailableError && /invalid \/hosts response/.test(e.message));
    const wrongPrefix = new StorageClient(storageAt(fixture.port, { urlPrefix: '/elsewhere' }), 1000);
    await assert.rejects(wrongPrefix.getHosts(), (e) => e instanceof StorageUnavailableError && /not a storage API/.test(e.message));
    const wrongShape = new StorageClient(storageAt(fixture.port), 1000);
    // /hinfo answers a host object; parsing it as a plugin list must fail on the shape, not pass bad data on
    await assert.rejects(
      (wrongShape as unknown as { get: (p: string, q: object, s: unknown) => Promise<unknown> }).get(
        '/hinfo',
        { host: 'web1.example' },
        (await import('../../../common/schemas/index.js')).ListResponse,
      ),
      (e) => e instanceof StorageUnavailableError && /invalid \/hinfo response/.test(e.message),
    );
  });

  it('cuts a chunked answer (no Content-Length) at the size cap while it streams', async () => {
    let sent = 0;
    let closed = false;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length announced
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!closed && sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (!closed && sent < 64 * 1024 * 1024) res.once('drain', pump);
      };
      res.on('close', () => {
        closed = true;
      });
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const port = (endless.address() as AddressInfo).port;
      const client = new StorageClient(storageAt(port, { name: 'flood' }), 5000, undefined, 1024 * 1024);
      await assert.rejects(client.getHosts(), (e) => e instanceof StorageUnavailableError && /larger than 1048576 bytes/.test(e.message));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(closed, 'the connection was given up');
      assert.ok(sent < 16 * 1024 * 1024, `stopped reading early (${sent} bytes sent)`);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('aligns series of different steps and starts on the first series’ grid', () => {
    const grid = { start: 1000, step: 60, length: 4 };
    assert.deepEqual(alignTo(grid, { TS_start: 1060, TS_step: 60, DATAS: { a: [1, 2, 3] } }, 'a'), [null, 1, 2, 3]);
    assert.deepEqual(alignTo(grid, { TS_start: 1000, TS_step: 120, DATAS: { a: [1, 2] } }, 'a'), [1, 2, 2, null]);
    assert.deepEqual(alignTo(grid, { TS_start: 1000, TS_step: 60, DATAS: {} }, 'a'), [null, null, null, null]);
  });
});

describe('storage gateway (several storages)', () => {
  let t: TestEnv;
  let first: FixtureStorage;
  let second: FixtureStorage;
  before(async () => {
    t = await createTestEnv();
    first = await startFixtureStorage({ hosts: { 'a.example': { Plugin: 'MyInfo', ID: 'a.example', Name: 'a' } } });
    second = await startFixtureStorage({ hosts: { 'b.example': { Plugin: 'MyInfo', ID: 'b.example', Name: 'b' } } });
    await addStorage(t.deps, 'dead', await closedPort());
    await addStorage(t.deps, 'first', first.port);
    await addStorage(t.deps, 'second', second.port);
  });
  after(async () => {
    try {
      await first.close();
      await second.close();
    } finally {
      await t.drop();
    }
  });

  it('finds the storage that has a host, despite a dead storage', async () => {
    const { hosts, failures } = await t.deps.storages.allHosts();
    assert.deepEqual([...hosts.keys()].sort(), ['a.example', 'b.example']);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].storageName, 'dead');
    assert.equal((await t.deps.storages.whichStorage('b.example'))?.name, 'second');
    assert.equal(await t.deps.storages.whichStorage('zzz'), null);
    const orphan = { id: 0, hostid: 'b.example', name: 'b', storageId: null, groupId: null };
    assert.deepEqual(Object.keys(await t.deps.storages.getPluginList(orphan)).sort(), ['cpu', 'if_eth0', 'load']);
    assert.ok(second.requests.some((r) => r.startsWith('/numeter-storage/list?host=b.example')));
    assert.deepEqual(t.deps.storages.counters, { requests: 4, unavailable: 1, notFound: 0, rejected: 0, retried: 0, gaveUp: 0 });
  });
});
