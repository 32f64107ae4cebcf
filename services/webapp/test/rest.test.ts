import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ViewExtendedData } from '../../../common/schemas/index.js';
import type { Host } from '../src/repos/index.js';
import { fixtureValue, TS_START } from './helpers.js';
import { type Agent, createRestWorld, type RestWorld } from './rest-world.js';

describe('REST API: permissions, shapes and data', () => {
  let w: RestWorld;
  let t: RestWorld['t'];
  let root: Agent, alice: Agent, bob: Agent, carol: Agent;
  let web1: Host, db1: Host;
  let groupA: number, groupB: number;
  const src = (host: Host, plugin: string, ds: string) => w.src(host, plugin, ds);

  before(async () => {
    w = await createRestWorld();
    ({ t, root, alice, bob, carol, web1, db1, groupA, groupB } = w);
  });
  after(() => w.close());

  it('answers 401 to anonymous requests on every endpoint', async () => {
    for (const path of [
      '/rest/',
      '/rest/hosts/',
      '/rest/hosts/1/',
      '/rest/views/1/extended_data/',
      '/rest/storages/',
      '/rest/skeletons/',
      '/wide-storage/list?host=web1.example',
    ])
      await request(t.app).get(path).expect(401);
    await request(t.app).post('/rest/views/').send({ name: 'x' }).expect(401);
    await request(t.app).delete('/rest/hosts/1/').expect(401);
  });

  it('lists only the hosts of the user’s groups; foreign hosts are 404, admin actions 403', async () => {
    const names = async (a: Agent) => (await a.agent.get('/rest/hosts/').expect(200)).body.results.map((h: { name: string }) => h.name);
    assert.deepEqual(await names(root), ['web1', 'db1']);
    assert.deepEqual(await names(alice), ['web1']);
    assert.deepEqual(await names(bob), ['db1']);
    assert.deepEqual(await names(carol), []);
    const h = await alice.agent.get(`/rest/hosts/${web1.id}/`).expect(200);
    assert.deepEqual(h.body, {
      id: web1.id,
      hostid: 'web1.example',
      name: 'web1',
      storage: web1.storageId,
      group: groupA,
      url: `/rest/hosts/${web1.id}/`,
    });
    await alice.agent.get(`/rest/hosts/${db1.id}/`).expect(404);
    await alice.agent.get('/rest/hosts/999999/').expect(404);
    await alice.agent.get('/rest/hosts/abc/').expect(404);
    await alice.agent.patch(`/rest/hosts/${web1.id}/`).set('X-CSRF-Token', alice.csrf).send({ name: 'x' }).expect(403);
    await alice.agent.patch(`/rest/hosts/${db1.id}/`).set('X-CSRF-Token', alice.csrf).send({ name: 'x' }).expect(404);
    await alice.agent.delete(`/rest/hosts/${db1.id}/`).set('X-CSRF-Token', alice.csrf).expect(404);
    await root.agent.patch(`/rest/hosts/${web1.id}/`).set('X-CSRF-Token', root.csrf).send({ name: 'web1' }).expect(200);
  });

  it('keeps storages and groups to superusers', async () => {
    for (const path of ['/rest/storages/', '/rest/groups/', `/rest/groups/${groupA}/`]) {
      await alice.agent.get(path).expect(403);
      await root.agent.get(path).expect(200);
    }
    await alice.agent.post('/rest/storages/').set('X-CSRF-Token', alice.csrf).send({ name: 's', address: '127.0.0.1' }).expect(403);
    const s = await root.agent.get('/rest/storages/').expect(200);
    assert.equal(s.body.results[0].has_password, false);
    assert.ok(!('password' in s.body.results[0]) && !('token' in s.body.results[0]));
  });

  it('names the bad field in validation errors', async () => {
    const bad = await root.agent
      .post('/rest/storages/')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 's2', address: '127.0.0.1', port: 'eighty' })
      .expect(400);
    assert.equal(bad.body.field, 'port');
    const unknown = await root.agent
      .post('/rest/storages/')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 's2', address: '127.0.0.1', colour: 'red' })
      .expect(400);
    assert.equal(unknown.body.field, 'colour');
    const url = await root.agent
      .post('/rest/storages/')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 's2', address: 'a/b@evil' })
      .expect(400);
    assert.equal(url.body.field, 'address');
    const skel = await root.agent
      .post('/rest/skeletons/')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 'bad', plugin_pattern: '(' })
      .expect(400);
    assert.equal(skel.body.field, 'plugin_pattern');
    const res = await alice.agent.get(`/rest/hosts/${web1.id}/plugin_extended_data/?plugin=load&res=Hourlyish`).expect(400);
    assert.equal(res.body.field, 'res');
    const page = await alice.agent.get('/rest/hosts/?page=0').expect(400);
    assert.equal(page.body.field, 'page');
    const malformed = await root.agent
      .post('/rest/groups/')
      .set('X-CSRF-Token', root.csrf)
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    assert.equal(typeof malformed.body.error, 'string');
    assert.deepEqual((await root.agent.get('/rest/nothing/').expect(404)).body, { error: 'not found' });
    const dup = await root.agent.post('/rest/groups/').set('X-CSRF-Token', root.csrf).send({ name: 'A' }).expect(409);
    assert.match(dup.body.error, /already exists/);
  });

  it('paginates and searches', async () => {
    const all = await root.agent.get('/rest/sources/?page_size=100').expect(200);
    assert.equal(all.body.count, 10); // 5 sources per host (load, cpu user/system, if_eth0 down/up)
    const p2 = await root.agent.get('/rest/sources/?page_size=3&page=2').expect(200);
    assert.equal(p2.body.count, 10);
    assert.equal(p2.body.results.length, 3);
    assert.equal(p2.body.next, '/rest/sources/?page_size=3&page=3');
    assert.equal(p2.body.previous, '/rest/sources/?page_size=3&page=1');
    const last = await root.agent.get('/rest/sources/?page_size=3&page=4').expect(200);
    assert.equal(last.body.results.length, 1);
    assert.equal(last.body.next, null);
    const q = await root.agent.get('/rest/plugins/?q=eth').expect(200);
    assert.deepEqual(
      q.body.results.map((p: { name: string }) => p.name),
      ['if_eth0', 'if_eth0'],
    );
    const qa = await alice.agent.get('/rest/plugins/?q=eth').expect(200);
    assert.equal(qa.body.count, 1);
    const like = await root.agent.get('/rest/hosts/?q=%25').expect(200);
    assert.equal(like.body.count, 0, '% is searched literally');
  });

  it('scopes plugins and sources through their host', async () => {
    const pa = await alice.agent.get('/rest/plugins/?page_size=100').expect(200);
    assert.ok(pa.body.results.every((p: { host: number }) => p.host === web1.id));
    const foreign = await src(db1, 'load', 'load');
    await alice.agent.get(`/rest/sources/${foreign}/`).expect(404);
    const mine = await alice.agent.get(`/rest/sources/${await src(web1, 'load', 'load')}/`).expect(200);
    assert.equal(mine.body.text, 'web1 - load - load');
    await alice.agent.post('/rest/plugins/').set('X-CSRF-Token', alice.csrf).send({ name: 'x' }).expect(403);
  });

  it('shares views with users and groups; foreign views are 404', async () => {
    const load = await src(web1, 'load', 'load');
    const created = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'my load', sources: [load, await src(web1, 'cpu', 'user')], right_axis: [load] })
      .expect(201);
    assert.deepEqual(created.body.right_axis, [load]);
    assert.ok(created.body.users.includes(created.body.users[0]));
    const id = created.body.id;
    await bob.agent.get(`/rest/views/${id}/`).expect(404);
    await bob.agent.get(`/rest/views/${id}/extended_data/`).expect(404);
    const notMine = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'x', sources: [load, await src(db1, 'load', 'load')] })
      .expect(400);
    assert.equal(notMine.body.field, 'sources.1');
    const badAxis = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'x', sources: [], right_axis: [load] })
      .expect(400);
    assert.equal(badAxis.body.field, 'right_axis.0');
    await alice.agent
      .patch(`/rest/views/${id}/`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ groups: [groupB] })
      .expect(200);
    await bob.agent.get(`/rest/views/${id}/`).expect(200);
    await carol.agent.get(`/rest/views/${id}/`).expect(404);
    await carol.agent.delete(`/rest/views/${id}/`).set('X-CSRF-Token', carol.csrf).expect(404);
  });

  it('has a default dashboard per host, shared with the host’s group', async () => {
    const mine = await alice.agent.get('/rest/multiviews/').expect(200);
    assert.deepEqual(
      mine.body.results.map((m: { name: string }) => m.name),
      ['web1 (web1.example)'],
    );
    assert.equal(mine.body.results[0].views.length, 3);
    const all = await root.agent.get('/rest/multiviews/').expect(200);
    const foreign = all.body.results.find((m: { name: string }) => m.name.startsWith('db1')).id;
    await alice.agent.get(`/rest/multiviews/${foreign}/`).expect(404);
  });

  it('serves extended data in the original shapes, only for visible objects', async () => {
    const p = await alice.agent.get(`/rest/hosts/${web1.id}/plugin_extended_data/?plugin=cpu&res=Daily`).expect(200);
    assert.equal(p.body.name, 'cpu');
    assert.equal(p.body.datas.TS_start, TS_START);
    assert.deepEqual(
      p.body.datas.DATAS.user,
      [0, 1, 2, 3].map((i) => fixtureValue('web1.example', 'user', i)),
    );
    assert.equal(p.body.infos.Title, 'CPU usage');
    await alice.agent.get(`/rest/hosts/${db1.id}/plugin_extended_data/?plugin=cpu`).expect(404);
    const unknownPlugin = await alice.agent.get(`/rest/hosts/${web1.id}/plugin_extended_data/?plugin=nope`).expect(404);
    assert.equal(unknownPlugin.body.storage, 'main');

    const s = await alice.agent.get(`/rest/sources/${await src(web1, 'load', 'load')}/extended_data/?res=Weekly`).expect(200);
    assert.equal(s.body.colors, '#00FF00');
    assert.equal(s.body.datas.TS_step, 300);
    assert.deepEqual(Object.keys(s.body.infos.Infos), ['load']);
    await alice.agent.get(`/rest/sources/${await src(db1, 'load', 'load')}/extended_data/`).expect(404);

    // a view mixing both hosts, shared with alice: she gets her host's series only
    const mixed = await root.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', root.csrf)
      .send({ name: 'mixed', sources: [await src(db1, 'load', 'load'), await src(web1, 'load', 'load')], groups: [groupA] })
      .expect(201);
    const v = await alice.agent.get(`/rest/views/${mixed.body.id}/extended_data/?res=Daily`).expect(200);
    ViewExtendedData.parse(v.body);
    assert.deepEqual(Object.keys(v.body.datas.DATAS), ['web1 - load - load']);
    assert.equal(v.body.errors['db1 - load - load'], 'not permitted');
    const all = await root.agent.get(`/rest/views/${mixed.body.id}/extended_data/`).expect(200);
    assert.deepEqual(Object.keys(all.body.datas.DATAS), ['db1 - load - load', 'web1 - load - load']);
    // two series with the same munin colour: the second gets one of its own
    assert.equal(all.body.infos.Infos['db1 - load - load'].colour, '#00FF00');
    assert.match(all.body.infos.Infos['web1 - load - load'].colour, /^#[0-9a-f]{6}$/);
    assert.notEqual(all.body.infos.Infos['web1 - load - load'].colour, '#00FF00');

    // munin field references (negative, cdef) follow the series' new names
    const traffic = await root.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', root.csrf)
      .send({
        name: 'traffic',
        sources: [await src(web1, 'if_eth0', 'down'), await src(web1, 'if_eth0', 'up'), await src(db1, 'if_eth0', 'up')],
      })
      .expect(201);
    const tr = (await root.agent.get(`/rest/views/${traffic.body.id}/extended_data/`).expect(200)).body.infos.Infos;
    assert.equal(tr['web1 - if_eth0 - up'].negative, 'web1 - if_eth0 - down');
    assert.equal(tr['web1 - if_eth0 - up'].cdef, 'web1 - if_eth0 - up,8,*');
    assert.equal(tr['db1 - if_eth0 - up'].negative, undefined, 'its partner is not in the view');
    assert.equal(tr['db1 - if_eth0 - up'].cdef, 'db1 - if_eth0 - up,8,*');
  });

  it('creates plugins and sources from the storage for visible hosts', async () => {
    await alice.agent.post(`/rest/hosts/${db1.id}/create_plugins/`).set('X-CSRF-Token', alice.csrf).send({}).expect(404);
    await alice.agent.post(`/rest/hosts/${web1.id}/create_plugins/`).set('X-CSRF-Token', alice.csrf).send({}).expect(204); // all exist already
    const cpu = (await t.deps.repos.plugins.forHost(web1.id)).find((p) => p.name === 'cpu')!;
    await t.deps.repos.sources.delete(await src(web1, 'cpu', 'system'));
    const created = await alice.agent
      .post(`/rest/plugins/${cpu.id}/create_sources/`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ sources: [] })
      .expect(201);
    assert.deepEqual(
      created.body.map((s: { name: string }) => s.name),
      ['system'],
    );
  });

  it('proxies the storage API through /wide-storage for visible hosts only', async () => {
    const hosts = await alice.agent.get('/wide-storage/hosts').expect(200);
    assert.deepEqual(Object.keys(hosts.body), ['web1.example']);
    const list = await alice.agent.get('/wide-storage/list?host=web1.example').expect(200);
    assert.deepEqual(Object.keys(list.body).sort(), ['cpu', 'if_eth0', 'load']);
    await alice.agent.get('/wide-storage/list?host=db1.example').expect(404);
    await alice.agent.get('/wide-storage/list?host=unknown.example').expect(404);
    const info = await alice.agent.get('/wide-storage/info?host=web1.example&plugin=cpu').expect(200);
    assert.deepEqual(info.body.sort(), ['system', 'user']);
    const data = await alice.agent.get('/wide-storage/data?host=web1.example&plugin=if_eth0&ds=down,up&res=Daily').expect(200);
    assert.deepEqual(Object.keys(data.body.DATAS), ['down', 'up']);
    await bob.agent.get('/wide-storage/data?host=web1.example&plugin=if_eth0&ds=down&res=Daily').expect(404);
    const missing = await alice.agent.get('/wide-storage/list').expect(400);
    assert.equal(missing.body.field, 'host');
  });
});
