/**
 * A corpus of hostile requests against the whole webapp (REST, login, pages, export): each gets
 * a clear 4xx (never a 500, never a hang), changes nothing it must not, and the server keeps
 * serving the next request. docs/security.md (Webapp) lists what bounds each class.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import type { RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { loginAgent } from './helpers.js';
import { type Agent, createRestWorld, type RestWorld } from './rest-world.js';

describe('hostile requests', () => {
  let w: RestWorld;
  let app: Express;
  let alice: Agent;
  let viewId: number;
  const count = async (table: string) => Number((await w.t.deps.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`))[0][0].n);

  before(async () => {
    w = await createRestWorld();
    app = await createApp(w.t.deps); // pages and export mounted
    alice = w.alice;
    const view = await alice.agent.post('/rest/views/').set('X-CSRF-Token', alice.csrf).send({ name: 'target' }).expect(201);
    viewId = view.body.id;
  });
  after(() => w.close());

  /** Still serving, and the view is still there. */
  const stillServing = async () => {
    await alice.agent.get(`/rest/views/${viewId}/`).expect(200);
  };

  it('CSRF: a session request without the token, with a forged one or from another origin changes nothing', async () => {
    const views = await count('views');
    const attempts = [
      alice.agent.post('/rest/views/').send({ name: 'forged' }),
      alice.agent.post('/rest/views/').set('X-CSRF-Token', 'A'.repeat(43)).send({ name: 'forged' }),
      alice.agent.post('/rest/views/').set('X-CSRF-Token', alice.csrf).set('Origin', 'http://evil.example').send({ name: 'forged' }),
      alice.agent.post('/rest/views/').set('X-CSRF-Token', alice.csrf).set('Origin', 'null').send({ name: 'forged' }),
      alice.agent.post('/REST/VIEWS/').send({ name: 'forged' }),
      alice.agent.delete(`/rest/views/${viewId}`).set('X-CSRF-Token', ''),
      alice.agent.post('/logout/').set('Origin', 'http://evil.example'),
    ];
    for (const attempt of attempts) assert.equal((await attempt).status, 403);
    assert.equal(await count('views'), views);
    await stillServing();
  });

  it('method override headers and fields are not honoured', async () => {
    for (const header of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
      const r = await alice.agent.post(`/rest/views/${viewId}/`).set('X-CSRF-Token', alice.csrf).set(header, 'DELETE').send({});
      assert.ok([404, 405].includes(r.status), `${header}: ${r.status}`);
    }
    const form = await alice.agent
      .post(`/rest/views/${viewId}/?_method=DELETE`)
      .set('X-CSRF-Token', alice.csrf)
      .type('form')
      .send({ _method: 'DELETE' });
    assert.ok([404, 405].includes(form.status), `_method: ${form.status}`);
    await stillServing();
  });

  it('oversized, malformed and deeply nested bodies are 4xx', async () => {
    const big = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .set('Content-Type', 'application/json')
      .send(`{"name": "${'x'.repeat(2 * 1024 * 1024)}"}`);
    assert.equal(big.status, 413);
    const broken = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    assert.equal(broken.status, 400);
    const deep = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .set('Content-Type', 'application/json')
      .send(`{"name": "deep", "comment": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    assert.equal(deep.status, 400);
    const huge = await alice.agent
      .post('/rest/views/')
      .set('X-CSRF-Token', alice.csrf)
      .send({ name: 'many', users: Array.from({ length: 100_000 }, (_, i) => i + 1) });
    assert.equal(huge.status, 400);
    assert.equal(huge.body.field, 'users');
    await stillServing();
  });

  it('prototype-pollution JSON is refused and pollutes nothing', async () => {
    for (const body of [
      '{"name": "p1", "__proto__": {"isSuperuser": true, "polluted": 1}}',
      '{"name": "p2", "constructor": {"prototype": {"polluted": 1}}}',
      '{"name": "p3", "sources": {"__proto__": [1]}}',
    ]) {
      const r = await alice.agent.post('/rest/views/').set('X-CSRF-Token', alice.csrf).set('Content-Type', 'application/json').send(body);
      assert.equal(r.status, 400, body);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).isSuperuser, undefined);
    const me = await alice.agent.get('/session').expect(200);
    assert.equal(me.body.user.is_superuser, false);
    await alice.agent.get('/rest/storages/').expect(403);
  });

  it('ids and numbers out of range are 404 or 400, never 500', async () => {
    for (const id of ['0', '-1', '1e3', '99999999999999999999', '2147483648', '0x10', '1.5', '%00', 'constructor'])
      assert.equal((await alice.agent.get(`/rest/views/${id}/`)).status, 404, id);
    for (const query of [
      'page=0',
      'page=-1',
      'page=99999999999999999999',
      'page=1e300',
      'page_size=100000',
      'page=1&page=2',
      'id=0',
      'id=1,,2',
    ])
      assert.equal((await alice.agent.get(`/rest/views/?${query}`)).status, 400, query);
    // unknown parameters are ignored, as everywhere in the API
    assert.equal((await alice.agent.get('/rest/views/?q[a]=b&__proto__[x]=1')).status, 200);
    for (const sources of [[2 ** 53], [2147483648], [-1], [1.5], ['1']]) {
      const r = await alice.agent.post('/rest/views/').set('X-CSRF-Token', alice.csrf).send({ name: 'range', sources });
      assert.equal(r.status, 400, JSON.stringify(sources));
    }
    const exports = await loginAgent(app, 'alice', 'alice-password');
    assert.equal((await exports.agent.get('/export/views/99999999999999999999.png')).status, 404);
    assert.equal((await exports.agent.get(`/export/views/${viewId}.png?width=1e9`)).status, 400);
    await stillServing();
  });

  it('hostile and unicode names are stored as given and rendered as text in the pages', async () => {
    const pages = await loginAgent(app, 'alice', 'alice-password');
    const names = [
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      '=HYPERLINK("http://evil")',
      'é\u202Egnp.exe',
      '🐙 \u0000 nul',
    ];
    for (const name of names) {
      const r = await alice.agent
        .post('/rest/views/')
        .set('X-CSRF-Token', alice.csrf)
        .send({ name, sources: [await w.src(w.web1, 'load', 'load')] });
      assert.equal(r.status, 201, `${JSON.stringify(name)}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.name, name.trim());
      const page = await pages.agent.get(`/views/${r.body.id}`).expect(200);
      assert.ok(!page.text.includes('<script>alert(1)') && !page.text.includes('<img src=x'), 'escaped in the page');
    }
    const dashboards = await pages.agent.get('/dashboards').expect(200);
    assert.ok(!dashboards.text.includes('<script>alert(1)') && dashboards.text.includes('&lt;script&gt;'));
    for (const username of ['admin\u0000', 'a b', '<x>', 'é'.repeat(200)]) {
      const r = await w.root.agent
        .post('/rest/users/')
        .set('X-CSRF-Token', w.root.csrf)
        .send({ username, password: 'long-enough-password' });
      assert.equal(r.status, 400, JSON.stringify(username));
      assert.equal(r.body.field, 'username');
    }
    await stillServing();
  });

  it('hostile authorization headers, paths and content types are 4xx', async () => {
    for (const header of ['Basic', 'Basic !!!', `Basic ${'A'.repeat(10_000)}`, 'Bearer ', `Bearer nmt_${'x'.repeat(5000)}`, 'Digest x'])
      assert.ok(
        [400, 401, 431].includes((await request(app).get('/rest/hosts/').set('Authorization', header)).status),
        header.slice(0, 20),
      );
    for (const path of [
      '/static/../../../etc/passwd',
      '/static/%2e%2e/%2e%2e/etc/passwd',
      '/app/..%2f..%2fpackage.json',
      '/vendor/../package.json',
    ])
      assert.equal((await request(app).get(path)).status, 404, path);
    const plain = await request(app).post('/login').set('Content-Type', 'text/plain').send('username=alice&password=alice-password');
    assert.equal(plain.status, 403);
    const exports = await loginAgent(app, 'alice', 'alice-password');
    const exportTraversal = await exports.agent.get(`/export/hosts/${w.web1.id}/plugins/..%2F..%2Fetc%2Fpasswd.csv`);
    assert.ok([400, 404].includes(exportTraversal.status), String(exportTraversal.status));
    await stillServing();
  });
});
