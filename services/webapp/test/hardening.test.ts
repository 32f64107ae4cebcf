/**
 * Issue 15 items 10-19 (webapp): login CSRF by any spelling of the route, no session row for
 * anonymous reads, own-property names from clients, the current password for one's own
 * password, no database or storage internals for users, the CLI on a new database, HTTP Basic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import { silentLogger } from '../../../common/logging/index.js';
import { createApp } from '../src/app.js';
import { buildDeps } from '../src/deps.js';
import { csvCell } from '../src/export/tabular.js';
import {
  addStorage,
  addUser,
  closedPort,
  createTestDatabase,
  createTestEnv,
  loginAgent,
  runCliInProcess,
  type TestEnv,
} from './helpers.js';
import { createRestWorld, type RestWorld } from './rest-world.js';

const sessionRows = async (t: TestEnv) => Number((await t.deps.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM sessions'))[0][0].n);
const sessionCookie = (r: request.Response) => String(r.headers['set-cookie'] ?? '').includes('numeter.sid=');

describe('login CSRF and anonymous sessions', () => {
  let t: TestEnv;
  let app: TestEnv['app'];
  before(async () => {
    t = await createTestEnv();
    app = await createApp(t.deps); // with the pages: GET /login is the form
    await addUser(t.deps, 'alice', 'alice-password');
  });
  after(() => t.drop());

  for (const path of ['/login', '/login/', '/LOGIN', '/Login/']) {
    it(`refuses a forged login on ${path} (foreign origin, or no token)`, async () => {
      const foreign = await request(app)
        .post(path)
        .set('Origin', 'http://evil.example')
        .type('form')
        .send({ username: 'alice', password: 'alice-password' });
      assert.equal(foreign.status, 403);
      assert.equal(sessionCookie(foreign), false, 'nobody was logged in');
      const tokenless = await request(app).post(path).send({ username: 'alice', password: 'alice-password' });
      assert.equal(tokenless.status, 403);
      assert.equal(tokenless.body.field, '_csrf');
    });
  }

  it('a token of one visitor does not log in another (the token is bound to its cookie)', async () => {
    const visitor = request.agent(app);
    const { csrf_token } = (await visitor.get('/session').expect(200)).body;
    await request(app).post('/login').set('X-CSRF-Token', csrf_token).send({ username: 'alice', password: 'alice-password' }).expect(403);
    await visitor.post('/login').set('X-CSRF-Token', csrf_token).send({ username: 'alice', password: 'alice-password' }).expect(200);
  });

  it('anonymous reads of /session and /login write no session row', async () => {
    const before = await sessionRows(t);
    for (let i = 0; i < 40; i++) {
      const r = await request(app).get(i % 2 ? '/session' : '/login');
      assert.equal(r.status, 200);
      assert.equal(sessionCookie(r), false, 'no session cookie for an anonymous read');
    }
    assert.equal(await sessionRows(t), before);
    // the login form of such a visit still works, and only the login creates a row
    const agent = request.agent(app);
    const form = await agent.get('/login').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    assert.ok(token);
    const login = await agent.post('/login').type('form').send({ username: 'alice', password: 'alice-password', _csrf: token });
    assert.equal(login.status, 303);
    assert.equal(await sessionRows(t), before + 1);
  });
});

describe('names from clients are own properties only', () => {
  let w: RestWorld;
  before(async () => {
    w = await createRestWorld();
  });
  after(() => w.close());

  it('create_hosts, create_plugins and create_sources ignore constructor, toString, __proto__', async () => {
    const { root } = w;
    const storageId = w.web1.storageId;
    const inherited = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const hosts = await root.agent
      .post(`/rest/storages/${storageId}/create_hosts/`)
      .set('X-CSRF-Token', root.csrf)
      .send({ hosts: inherited });
    assert.equal(hosts.status, 204, JSON.stringify(hosts.body));
    const plugins = await root.agent
      .post(`/rest/hosts/${w.web1.id}/create_plugins/`)
      .set('X-CSRF-Token', root.csrf)
      .send({ plugins: inherited });
    assert.equal(plugins.status, 204, JSON.stringify(plugins.body));
    const load = (await w.t.deps.repos.plugins.forHost(w.web1.id)).find((p) => p.name === 'load');
    const sources = await root.agent
      .post(`/rest/plugins/${load?.id}/create_sources/`)
      .set('X-CSRF-Token', root.csrf)
      .send({ sources: inherited });
    assert.equal(sources.status, 204, JSON.stringify(sources.body));
    const names = await w.t.deps.pool.query<RowDataPacket[]>(
      'SELECT hostid AS name FROM hosts UNION SELECT name FROM plugins UNION SELECT name FROM sources',
    );
    for (const row of names[0]) assert.ok(!inherited.includes(row.name), `${row.name} became an object`);
  });
});

describe('set_password asks for the current password of one\u2019s own account', () => {
  let t: TestEnv;
  let aliceId: number;
  let rootId: number;
  before(async () => {
    t = await createTestEnv();
    aliceId = await addUser(t.deps, 'alice', 'alice-password');
    rootId = await addUser(t.deps, 'root', 'root-password', { superuser: true });
  });
  after(() => t.drop());

  it('refuses without it or with a wrong one, accepts the right one; superusers set others\u2019 without it', async () => {
    const alice = await loginAgent(t.app, 'alice', 'alice-password');
    const set = (body: object, who = alice, id = aliceId) =>
      who.agent.post(`/rest/users/${id}/set_password/`).set('X-CSRF-Token', who.csrf).send(body);
    const missing = await set({ password: 'stolen-session-password' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.field, 'current_password');
    const wrong = await set({ password: 'stolen-session-password', current_password: 'guess-guess' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.field, 'current_password');
    await loginAgent(t.app, 'alice', 'alice-password'); // unchanged
    await set({ password: 'alice-new-password', current_password: 'alice-password' }).expect(200);
    await loginAgent(t.app, 'alice', 'alice-new-password');
    const root = await loginAgent(t.app, 'root', 'root-password');
    await set({ password: 'alice-third-password' }, root, aliceId).expect(200);
    assert.equal((await set({ password: 'root-new-password' }, root, rootId)).body.field, 'current_password');
  });
});

describe('no database or storage internals for users', () => {
  it('/healthz says the database is unavailable, not why', async () => {
    const db = await createTestDatabase({ NUMETER_WEBAPP_DATABASE_PORT: String(await closedPort()) });
    const deps = buildDeps(db.config, { logger: silentLogger() });
    try {
      const app = await createApp(deps, { mountUi: false });
      const r = await request(app).get('/healthz').expect(503);
      assert.equal(r.body.database, 'unavailable');
      assert.doesNotMatch(JSON.stringify(r.body), /ECONNREFUSED|127\.0\.0\.1|connect/);
    } finally {
      await deps.close();
      await db.drop();
    }
  });

  it('a dead storage is named in REST errors without its address or the connect error', async () => {
    const t = await createTestEnv();
    try {
      const port = await closedPort();
      const storageId = await addStorage(t.deps, 'dead', port);
      await addUser(t.deps, 'root', 'root-password', { superuser: true });
      const host = (await t.deps.repos.hosts.upsert('lost.example', 'lost', storageId)).host;
      const root = await loginAgent(t.app, 'root', 'root-password');
      const r = await root.agent.get(`/rest/hosts/${host.id}/plugin_extended_data/?plugin=load`).expect(503);
      assert.equal(r.body.storage, 'dead');
      assert.doesNotMatch(JSON.stringify(r.body), new RegExp(`ECONNREFUSED|${port}|127\\.0\\.0\\.1|http:`));
    } finally {
      await t.drop();
    }
  });
});

describe('the command line on a new database', () => {
  it('user add applies the migrations first', async () => {
    const db = await createTestDatabase();
    const saved = { ...process.env };
    Object.assign(process.env, db.env);
    try {
      const added = await runCliInProcess('user', 'add', '-u', 'first', '-p', 'first-password', '-S');
      assert.equal(added.code, 0, added.message);
      const listed = await runCliInProcess('user', 'list');
      assert.match(listed.lines.join('\n'), /first/);
    } finally {
      for (const key of Object.keys(db.env)) delete process.env[key];
      Object.assign(process.env, saved);
      await db.drop();
    }
  });
});

describe('HTTP Basic on the API (as the original DRF)', () => {
  let t: TestEnv;
  before(async () => {
    t = await createTestEnv({ NUMETER_WEBAPP_WEB_LOGIN_ATTEMPTS: '3' });
    await addUser(t.deps, 'alice', 'alice-password');
  });
  after(() => t.drop());

  it('authenticates curl -u user:password, needs no CSRF token, and ends with a password change', async () => {
    const me = await request(t.app).get('/rest/users/').auth('alice', 'alice-password').expect(200);
    assert.deepEqual(
      me.body.results.map((u: { username: string }) => u.username),
      ['alice'],
    );
    await request(t.app).post('/rest/views/').auth('alice', 'alice-password').send({ name: 'by curl' }).expect(201);
    const aliceId = (await t.deps.repos.users.byUsername('alice'))?.id as number;
    await request(t.app)
      .post(`/rest/users/${aliceId}/set_password/`)
      .auth('alice', 'alice-password')
      .send({ password: 'alice-new-password', current_password: 'alice-password' })
      .expect(200);
    await request(t.app).get('/rest/views/').auth('alice', 'alice-password').expect(401);
    await request(t.app).get('/rest/views/').auth('alice', 'alice-new-password').expect(200);
  });
});

describe('HTTP Basic failures', () => {
  let t: TestEnv;
  before(async () => {
    t = await createTestEnv({ NUMETER_WEBAPP_WEB_LOGIN_ATTEMPTS: '3' });
    await addUser(t.deps, 'alice', 'alice-password');
  });
  after(() => t.drop());

  it('a wrong password is 401 without a Basic challenge, and failures share the login rate limit', async () => {
    const wrong = await request(t.app).get('/rest/hosts/').auth('alice', 'wrong-1');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], undefined, 'browsers must not be asked to store Basic credentials');
    await request(t.app).get('/rest/hosts/').auth('nobody', 'wrong-2').expect(401);
    const form = request.agent(t.app);
    const { csrf_token } = (await form.get('/session')).body;
    await form.post('/login').set('X-CSRF-Token', csrf_token).send({ username: 'alice', password: 'wrong-3' }).expect(401);
    await request(t.app).get('/rest/hosts/').auth('alice', 'wrong-4').expect(429);
    await request(t.app).get('/rest/hosts/').set('Authorization', 'Basic !!!').expect(401);
  });
});

describe('CSV cells against formula injection', () => {
  it('neutralises every cell starting with = + - @ TAB CR unless it is a plain number', () => {
    for (const hostile of ["-1+cmd|' /C calc'!A0", '-2-3', '=1+1', '+1', '@SUM(A1)', '\t=1', '\r=1', '-', '-e1', '--1'])
      assert.ok(csvCell(hostile).replace(/^"/, '').startsWith("'"), `${JSON.stringify(hostile)} -> ${csvCell(hostile)}`);
    for (const number of ['-1', '-1.5', '-2e-7', '1e+300', '0', '42']) assert.equal(csvCell(number), number);
  });
});
