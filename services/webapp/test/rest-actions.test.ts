import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Host } from '../src/repos/index.js';
import { addStorage, closedPort, loginAgent } from './helpers.js';
import { type Agent, createRestWorld, type RestWorld } from './rest-world.js';

describe('REST API: changes, sharing and failures', () => {
  let w: RestWorld;
  let t: RestWorld['t'];
  let root: Agent, alice: Agent, bob: Agent;
  let web1: Host, db1: Host;
  let groupA: number, groupB: number;
  const src = (host: Host, plugin: string, ds: string) => w.src(host, plugin, ds);

  before(async () => {
    w = await createRestWorld();
    ({ t, root, alice, bob, web1, db1, groupA, groupB } = w);
  });
  after(() => w.close());

  it('degrades one unreachable storage to a 503 naming it, and keeps views of other storages working', async () => {
    const deadId = await addStorage(t.deps, 'dead', await closedPort());
    const lost = (await t.deps.repos.hosts.upsert('lost.example', 'lost', deadId, groupA)).host;
    const plugin = (await t.deps.repos.plugins.ensure(lost.id, ['load']))[0];
    const [source] = await t.deps.repos.sources.ensure(plugin.id, ['load']);
    const r = await alice.agent.get(`/rest/hosts/${lost.id}/plugin_extended_data/?plugin=load`).expect(503);
    assert.equal(r.body.storage, 'dead');
    assert.match(r.body.error, /storage "dead" unreachable/);
    const view = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'half', sources: [source.id, await src(web1, 'load', 'load')] })
      .expect(201);
    const v = await alice.agent.get(`/rest/views/${view.body.id}/extended_data/`).expect(200);
    assert.deepEqual(Object.keys(v.body.datas.DATAS), ['web1 - load - load']);
    assert.match(v.body.errors['lost - load - load'], /unreachable/);
  });

  it('lets users see themselves and their group mates, and change only their own password', async () => {
    const users = await alice.agent.get('/rest/users/').expect(200);
    assert.deepEqual(
      users.body.results.map((u: { username: string }) => u.username),
      ['alice'],
    );
    const bobId = (await t.deps.repos.users.byUsername('bob'))!.id;
    const aliceId = (await t.deps.repos.users.byUsername('alice'))!.id;
    await alice.agent.get(`/rest/users/${bobId}/`).expect(404);
    await alice.agent.post('/rest/users/').set('X-CSRF-Token', alice.csrf).send({ username: 'eve', password: 'password1' }).expect(403);
    await alice.agent.patch(`/rest/users/${aliceId}/`).set('X-CSRF-Token', alice.csrf).send({ is_superuser: true }).expect(403);
    await alice.agent.post(`/rest/users/${aliceId}/set_password/`).set('X-CSRF-Token', alice.csrf).send({ password: 'short' }).expect(400);
    await alice.agent
      .post(`/rest/users/${aliceId}/set_password/`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ password: 'new-alice-password', current_password: 'alice-password' })
      .expect(200);
    await loginAgent(t.app, 'alice', 'new-alice-password');
    const created = await root.agent
      .post('/rest/users/')
      .set('X-CSRF-Token', root.csrf)
      .send({ username: 'dave', password: 'dave-password', groups: [groupA] })
      .expect(201);
    assert.deepEqual(created.body.groups, [groupA]);
    const supers = await root.agent.get('/rest/superusers/').expect(200);
    assert.deepEqual(
      supers.body.results.map((u: { username: string }) => u.username),
      ['root'],
    );
  });

  it('creates a view from a skeleton over visible hosts', async () => {
    const skeletons = await alice.agent.get('/rest/skeletons/?q=network').expect(200);
    const network = skeletons.body.results[0];
    await alice.agent
      .post(`/rest/skeletons/${network.id}/create_view/`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ hosts: [db1.id] })
      .expect(400);
    const v = await alice.agent
      .post(`/rest/skeletons/${network.id}/create_view/`)
      .set('X-CSRF-Token', alice.csrf)
      .send({ hosts: [web1.id] })
      .expect(201);
    assert.equal(v.body.sources.length, 2);
    await alice.agent.get(`/rest/views/${v.body.id}/`).expect(200);
    await alice.agent.post('/rest/skeletons/').set('X-CSRF-Token', alice.csrf).send({ name: 'x', plugin_pattern: 'x' }).expect(403);
  });

  it('lets superusers create, change and delete every kind of object', async () => {
    const send = (method: 'post' | 'patch' | 'delete', path: string, body?: object) =>
      root.agent[method](path).set('X-CSRF-Token', root.csrf).send(body);
    const st = await send('post', '/rest/storages/', { name: 'second', address: 'st2.example', port: 8081, token: 'secret' }).expect(201);
    assert.deepEqual([st.body.url_prefix, st.body.has_token, st.body.has_password], ['/numeter-storage', true, false]);
    const stp = await send('patch', `/rest/storages/${st.body.id}/`, { port: 9090, protocol: 'https' }).expect(200);
    assert.deepEqual([stp.body.port, stp.body.protocol, stp.body.has_token], [9090, 'https', true]);
    await send('delete', `/rest/storages/${st.body.id}/`).expect(204);
    await send('delete', `/rest/storages/${st.body.id}/`).expect(404);

    const g = await send('post', '/rest/groups/', { name: 'C' }).expect(201);
    assert.equal((await send('patch', `/rest/groups/${g.body.id}/`, { name: 'C2' }).expect(200)).body.name, 'C2');
    await send('delete', `/rest/groups/${g.body.id}/`).expect(204);

    const host = await send('post', '/rest/hosts/', { hostid: 'web1.example' }).expect(201);
    assert.equal(host.body.id, web1.id, 'an existing host is re-linked, not duplicated');
    const missing = await send('post', '/rest/hosts/', { hostid: 'nowhere.example' }).expect(400);
    assert.equal(missing.body.field, 'hostid');

    const sk = await send('post', '/rest/skeletons/', { name: 'temps', plugin_pattern: '^sensors_' }).expect(201);
    assert.equal(sk.body.source_pattern, '.');
    assert.equal((await send('patch', `/rest/skeletons/${sk.body.id}/`, { comment: 'hot' }).expect(200)).body.comment, 'hot');
    await send('delete', `/rest/skeletons/${sk.body.id}/`).expect(204);

    const v = await send('post', '/rest/views/', { name: 'v', sources: [await src(web1, 'load', 'load')] }).expect(201);
    const mv = await send('post', '/rest/multiviews/', { name: 'board', views: [v.body.id], groups: [groupA] }).expect(201);
    assert.deepEqual(mv.body.users, [], 'a superuser’s multiview is not auto-shared with them');
    await alice.agent.get(`/rest/multiviews/${mv.body.id}/`).expect(200);
    const mvp = await send('patch', `/rest/multiviews/${mv.body.id}/`, { groups: [] }).expect(200);
    assert.deepEqual(mvp.body.views, [v.body.id]);
    await alice.agent.get(`/rest/multiviews/${mv.body.id}/`).expect(404);
    const badRef = await send('post', '/rest/multiviews/', { name: 'x', groups: [999999] }).expect(400);
    assert.match(badRef.body.error, /does not exist/);

    const u = await send('post', '/rest/users/', { username: 'temp', password: 'temp-password', email: 'not-an-email' }).expect(400);
    assert.equal(u.body.field, 'email');
    const tmp = await send('post', '/rest/users/', { username: 'temp', password: 'temp-password' }).expect(201);
    assert.equal((await send('patch', `/rest/users/${tmp.body.id}/`, { groups: [groupB] }).expect(200)).body.groups[0], groupB);
    await send('delete', `/rest/users/${tmp.body.id}/`).expect(204);
  });

  it('deletes the permitted subset of a list (DELETE with {id: [...]})', async () => {
    const mk = async (a: Agent, name: string) =>
      (await a.agent.post('/rest/views/').set('X-CSRF-Token', a.csrf).send({ name }).expect(201)).body.id as number;
    const [a1, a2, b1] = [await mk(alice, 'a1'), await mk(alice, 'a2'), await mk(bob, 'b1')];
    await alice.agent
      .delete('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ id: [a1, b1] })
      .expect(204);
    assert.equal(await t.deps.repos.views.get(a1), null);
    assert.ok(await t.deps.repos.views.get(b1), 'another user’s view survives');
    assert.ok(await t.deps.repos.views.get(a2));
    await alice.agent
      .delete('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ id: [b1] })
      .expect(404);
    const bad = await alice.agent
      .delete('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ id: ['x'] })
      .expect(400);
    assert.equal(bad.body.field, 'id.0');
    await alice.agent
      .delete('/rest/hosts/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ id: [web1.id] })
      .expect(404);
    assert.ok(await t.deps.repos.hosts.get(web1.id));
  });

  it('keeps events to the hosts a user can see', async () => {
    const e = await alice.agent
      .post('/rest/events/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'deploy', short_text: 'v2', date: '2026-01-02T03:04:05Z', hosts: [web1.id] })
      .expect(201);
    assert.equal(e.body.date, '2026-01-02T03:04:05.000Z');
    await bob.agent.get(`/rest/events/${e.body.id}/`).expect(404);
    const foreign = await bob.agent
      .post('/rest/events/')
      .set('X-CSRF-Token', bob.csrf)
      .send({ name: 'x', hosts: [web1.id] })
      .expect(400);
    assert.equal(foreign.body.field, 'hosts.0');
    assert.equal((await bob.agent.get('/rest/events/').expect(200)).body.count, 0);
    assert.equal((await alice.agent.get('/rest/events/').expect(200)).body.count, 1);
  });
});
