import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createToken } from '../src/auth/tokens.js';
import { addStorage } from './helpers.js';
import { type Agent, createRestWorld, type RestWorld } from './rest-world.js';

const LISTS = [
  'users',
  'superusers',
  'groups',
  'tokens',
  'storages',
  'hosts',
  'plugins',
  'sources',
  'views',
  'multiviews',
  'skeletons',
  'events',
];

describe('REST list filter ?id=1,2,3', () => {
  let w: RestWorld;
  let root: Agent;
  const ids = (body: { results: { id: number }[] }) => body.results.map((r) => r.id);

  before(async () => {
    w = await createRestWorld();
    root = w.root;
    const { repos } = w.t.deps;
    // at least two objects in every list
    await addStorage(w.t.deps, 'second', 1);
    await addStorage(w.t.deps, 'third', 2);
    for (const name of ['root', 'alice']) await createToken(repos, (await repos.users.byUsername(name))!.id, 'script');
    for (const name of ['e1', 'e2', 'e3'])
      await repos.events.create({ name, shortText: '', date: new Date(Date.UTC(2026, 0, 1)), comment: '', hosts: [w.web1.id] });
    await repos.users.create({ username: 'su2', email: '', isSuperuser: true, graphLib: 'uplot', groups: [], passwordHash: 'x' });
  });
  after(() => w.close());

  it('keeps only the named objects on every list endpoint', async () => {
    for (const list of LISTS) {
      const all = ids((await root.agent.get(`/rest/${list}/?page_size=1000`).expect(200)).body);
      assert.ok(all.length >= 2, `${list} has ${all.length} objects`);
      const wanted = [all[all.length - 1], all[0]];
      const one = await root.agent.get(`/rest/${list}/?id=${wanted.join(',')}`).expect(200);
      assert.equal(one.body.count, 2, list);
      assert.deepEqual(new Set(ids(one.body)), new Set(wanted), list);
      const repeated = await root.agent.get(`/rest/${list}/?id=${wanted[0]}&id=${wanted[1]}&page_size=1`).expect(200);
      assert.equal(repeated.body.count, 2, list);
      assert.equal(repeated.body.next, `/rest/${list}/?id=${wanted[0]}&id=${wanted[1]}&page_size=1&page=2`, list);
      const none = await root.agent.get(`/rest/${list}/?id=999999`).expect(200);
      assert.equal(none.body.count, 0, list);
    }
  });

  it('combines with permissions and search: an id the user may not see is left out', async () => {
    const all = ids((await root.agent.get('/rest/hosts/').expect(200)).body);
    const mine = await w.alice.agent.get(`/rest/hosts/?id=${all.join(',')}`).expect(200);
    assert.deepEqual(ids(mine.body), [w.web1.id]);
    const searched = await root.agent.get(`/rest/hosts/?id=${all.join(',')}&q=db1`).expect(200);
    assert.deepEqual(ids(searched.body), [w.db1.id]);
  });

  it('answers 400 naming the parameter for anything but positive integers', async () => {
    for (const bad of ['1,x', 'abc', '', '1,,2', '-1', '0', '1.5', '99999999999', '1;2']) {
      const r = await root.agent.get(`/rest/hosts/?id=${encodeURIComponent(bad)}`).expect(400);
      assert.equal(r.body.field, 'id', bad);
      assert.match(r.body.error, /^id: /, bad);
    }
    const tooMany = Array.from({ length: 1001 }, (_, i) => i + 1).join(',');
    assert.equal((await root.agent.get(`/rest/views/?id=${tooMany}`).expect(400)).body.field, 'id');
    assert.equal((await root.agent.get('/rest/views/?id=1&id=y').expect(400)).body.field, 'id');
  });
});
