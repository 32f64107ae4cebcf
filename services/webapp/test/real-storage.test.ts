import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PluginExtendedData } from '../../../common/schemas/index.js';
// The storage engineer's fixture: the real storage API over real Redis and real .wsp files.
import { type Fixture, NOW, series, startFixture } from '../../storage/test/api-fixtures.js';
import { populate } from '../src/populate.js';
import { addUser, createTestEnv, loginAgent, type TestEnv } from './helpers.js';

describe('webapp against the real storage API', () => {
  let t: TestEnv;
  let fx: Fixture;
  let storageId: number;
  before(async () => {
    t = await createTestEnv();
    fx = await startFixture({ settings: { authTokens: ['storage-secret'] } });
    await fx.addHost('web01.example.com', { Name: 'web01' });
    await fx.addPlugin('web01.example.com', 'load', { load: 'load average' });
    fx.writeSeries(
      'web01.example.com',
      'load',
      'load',
      series(60, 3600, (ts) => (ts % 600) / 100),
    );
    const port = new URL(fx.base).port;
    storageId = await t.deps.repos.storages.create({
      name: 'real',
      protocol: 'http',
      address: '127.0.0.1',
      port: Number(port),
      urlPrefix: '/numeter-storage',
      login: '',
      password: '',
      token: 'storage-secret',
    });
  });
  after(async () => {
    try {
      await fx.close();
    } finally {
      await t.drop();
    }
  });

  it('populates from it and serves its data, with the storage token', async () => {
    const report = await populate(t.deps);
    assert.deepEqual(report.failures, []);
    assert.equal(report.hostsCreated, 1);
    assert.equal(report.sourcesCreated, 1);
    const host = (await t.deps.repos.hosts.byHostid('web01.example.com'))!;
    assert.equal(host.name, 'web01');
    const group = await t.deps.repos.groups.create('ops');
    await t.deps.repos.hosts.update(host.id, { groupId: group });
    await addUser(t.deps, 'op', 'op-password', { groups: [group] });
    const { agent } = await loginAgent(t.app, 'op', 'op-password');
    const r = await agent.get(`/rest/hosts/${host.id}/plugin_extended_data/?plugin=load&res=Daily`).expect(200);
    const data = PluginExtendedData.parse(r.body);
    assert.equal(data.datas.TS_step, 60);
    const values = data.datas.DATAS.load;
    const lastTs = data.datas.TS_start + (values.length - 1) * 60;
    assert.ok(lastTs <= NOW);
    const known = values.map((v, i) => [data.datas.TS_start + i * 60, v] as const).filter(([, v]) => v !== null);
    assert.equal(known.length, 60);
    for (const [ts, v] of known) assert.equal(v, (ts % 600) / 100);
    const proxied = await agent.get('/wide-storage/data?host=web01.example.com&plugin=load&ds=load&res=Daily').expect(200);
    assert.deepEqual(proxied.body.DATAS.load, values);
  });

  it('reports a refused storage token as the storage failing, not as missing data', async () => {
    await t.deps.repos.storages.update(storageId, { token: 'wrong' });
    const host = (await t.deps.repos.hosts.byHostid('web01.example.com'))!;
    await assert.rejects(
      t.deps.storages.getPluginList(host),
      (e: Error) => e.name === 'StorageUnavailableError' && /HTTP 401/.test(e.message),
    );
  });
});
