import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseOptions } from '@node-rs/argon2';
import request from 'supertest';
import { verifyPassword } from '../src/auth/passwords.js';
import { safeNext } from '../src/auth/routes.js';
import { createToken, hashToken } from '../src/auth/tokens.js';
import { MySqlSessionStore } from '../src/db/session-store.js';
import { addUser, createTestEnv, loginAgent, type TestEnv } from './helpers.js';

describe('authentication', () => {
  let t: TestEnv;
  let aliceId: number;
  before(async () => {
    t = await createTestEnv({ NUMETER_WEBAPP_WEB_LOGIN_ATTEMPTS: '3' });
    aliceId = await addUser(t.deps, 'alice', 'alice-password');
    await addUser(t.deps, 'root', 'root-password', { superuser: true });
  });
  after(() => t.drop());

  it('stores passwords as argon2id hashes', async () => {
    const stored = (await t.deps.repos.users.passwordHash(aliceId))!;
    assert.match(stored, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.ok(parseOptions(stored).memoryCost! >= 19456);
    assert.equal(await verifyPassword(stored, 'alice-password'), true);
    assert.equal(await verifyPassword(stored, 'alice-passwore'), false);
    assert.equal(await verifyPassword('not a hash', 'x'), false);
  });

  it('anonymous REST calls get 401', async () => {
    await request(t.app).get('/rest/hosts/').expect(401);
    await request(t.app).get('/wide-storage/hosts').expect(401);
  });

  it('logs in with a session cookie (httpOnly, SameSite=Lax), then logs out', async () => {
    const agent = request.agent(t.app);
    const s = await agent.get('/session').expect(200);
    assert.equal(s.body.user, null);
    const anonymousExpiry = Date.parse(/Expires=([^;]+)/.exec(String(s.headers['set-cookie']))![1]);
    assert.ok(anonymousExpiry - Date.now() <= 3_600_000, 'a session for the login form only lasts an hour');
    const login = await agent
      .post('/login')
      .set('X-CSRF-Token', s.body.csrf_token)
      .send({ username: 'alice', password: 'alice-password' })
      .expect(200);
    const cookie = String(login.headers['set-cookie']);
    assert.match(cookie, /numeter\.sid=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
    const expiry = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]);
    assert.ok(expiry - Date.now() > 13 * 86_400_000, 'a logged-in session gets the configured max age');
    assert.equal(login.body.user.username, 'alice');
    assert.notEqual(login.body.csrf_token, s.body.csrf_token, 'the token is renewed with the session');
    await agent.get('/rest/hosts/').expect(200);
    // the session is stored server side
    const [rows] = await t.deps.pool.query('SELECT COUNT(*) AS n FROM sessions');
    assert.ok((rows as { n: number }[])[0].n >= 1);
    await agent.post('/logout').set('X-CSRF-Token', login.body.csrf_token).set('Accept', 'application/json').expect(204);
    await agent.get('/rest/hosts/').expect(401);
  });

  it('a form login redirects to a local next only', async () => {
    const agent = request.agent(t.app);
    const s = await agent.get('/session');
    const ok = await agent
      .post('/login')
      .type('form')
      .send({ username: 'alice', password: 'alice-password', next: '/multiviews/3', _csrf: s.body.csrf_token });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, '/multiviews/3');
    assert.equal(safeNext('//evil.example/'), '/');
    assert.equal(safeNext('/\\evil.example'), '/');
    assert.equal(safeNext('https://evil.example'), '/');
  });

  it('refuses unsafe requests without the CSRF token or from another origin', async () => {
    const { agent, csrf } = await loginAgent(t.app, 'alice', 'alice-password');
    const none = await agent.post('/rest/views/').send({ name: 'v' });
    assert.equal(none.status, 403);
    assert.equal(none.body.error, 'invalid CSRF token');
    await agent.post('/rest/views/').set('X-CSRF-Token', 'forged').send({ name: 'v' }).expect(403);
    await agent.post('/rest/views/').set('X-CSRF-Token', csrf).set('Origin', 'http://evil.example').send({ name: 'v' }).expect(403);
    await agent.post('/rest/views/').set('X-CSRF-Token', csrf).send({ name: 'v' }).expect(201);
    // a login form posted without the token is refused too (login CSRF)
    await request(t.app).post('/login').send({ username: 'alice', password: 'alice-password' }).expect(403);
  });

  it('authenticates API tokens, stored only as a hash; a bad token is 401', async () => {
    const { token, row } = await createToken(t.deps.repos, aliceId, 'script');
    assert.match(token, /^nmt_[A-Za-z0-9_-]{43}$/);
    const [stored] = await t.deps.pool.query('SELECT token_hash FROM api_tokens WHERE id = ?', [row.id]);
    assert.equal((stored as { token_hash: string }[])[0].token_hash, hashToken(token));
    const me = await request(t.app).get('/session').set('Authorization', `Bearer ${token}`).expect(200);
    assert.equal(me.body.user.username, 'alice');
    // no CSRF token needed: no cookie is involved
    await request(t.app).post('/rest/views/').set('Authorization', `Bearer ${token}`).send({ name: 'by script' }).expect(201);
    await request(t.app).get('/rest/views/').set('Authorization', 'Bearer nmt_wrong').expect(401);
    assert.ok((await t.deps.repos.tokens.get(row.id))!.lastUsedAt);
  });

  it('creates tokens over REST, shown once, and lets users delete only their own', async () => {
    const { agent, csrf } = await loginAgent(t.app, 'alice', 'alice-password');
    const created = await agent.post('/rest/tokens/').set('X-CSRF-Token', csrf).send({ name: 'cron' }).expect(201);
    assert.match(created.body.token, /^nmt_/);
    const listed = await agent.get('/rest/tokens/').expect(200);
    assert.ok(listed.body.results.every((x: Record<string, unknown>) => !('token' in x)));
    await request(t.app).get('/rest/hosts/').set('Authorization', `Bearer ${created.body.token}`).expect(200);
    const root = await loginAgent(t.app, 'root', 'root-password');
    const rootToken = await root.agent.post('/rest/tokens/').set('X-CSRF-Token', root.csrf).send({ name: 'root' }).expect(201);
    await agent.delete(`/rest/tokens/${rootToken.body.id}/`).set('X-CSRF-Token', csrf).expect(404);
    await agent.delete(`/rest/tokens/${created.body.id}/`).set('X-CSRF-Token', csrf).expect(204);
    await request(t.app).get('/rest/hosts/').set('Authorization', `Bearer ${created.body.token}`).expect(401);
  });

  it('rate-limits failed logins', async () => {
    const agent = request.agent(t.app);
    const s = await agent.get('/session');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await agent
        .post('/login')
        .set('X-CSRF-Token', s.body.csrf_token)
        .send({ username: 'root', password: `wrong-${i}` });
      statuses.push(r.status);
    }
    // 3 attempts allowed per window in this test's config (successful logins earlier do not count)
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });

  it('sends security headers with a strict CSP', async () => {
    const r = await request(t.app).get('/session');
    const csp = r.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    // Browsers send `Origin: null` on form posts under no-referrer, which the CSRF check refuses.
    assert.equal(r.headers['referrer-policy'], 'same-origin');
    assert.equal(r.headers['x-powered-by'], undefined);
  });

  it('ignores expired sessions in the store', async () => {
    let now = 1_000_000;
    const store = new MySqlSessionStore(t.deps.pool, 60_000, () => now);
    const cookie = { originalMaxAge: 60_000, expires: new Date(now + 60_000) } as never;
    await new Promise<void>((resolve, reject) => store.set('sid-1', { cookie, userId: 7 }, (e) => (e ? reject(e) : resolve())));
    const read = () => new Promise((resolve, reject) => store.get('sid-1', (e, v) => (e ? reject(e) : resolve(v))));
    assert.equal(((await read()) as { userId: number }).userId, 7);
    now += 61_000;
    assert.equal(await read(), null);
    await new Promise<void>((resolve) => store.destroy('sid-1', () => resolve()));
  });
});

describe('secure cookies behind a TLS proxy', () => {
  let t: TestEnv;
  before(async () => {
    t = await createTestEnv({ NUMETER_WEBAPP_WEB_SECURE_COOKIES: 'true', NUMETER_WEBAPP_WEB_TRUST_PROXY: '1' });
    await addUser(t.deps, 'alice', 'alice-password');
  });
  after(() => t.drop());

  it('marks the session cookie Secure and sends HSTS', async () => {
    const agent = request.agent(t.app);
    const s = await agent.get('/session').set('X-Forwarded-Proto', 'https').expect(200);
    assert.match(String(s.headers['strict-transport-security']), /max-age=\d+/);
    const login = await agent
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Origin', 'https://127.0.0.1')
      .set('Host', '127.0.0.1')
      .set('Cookie', String(s.headers['set-cookie']).split(';')[0])
      .set('X-CSRF-Token', s.body.csrf_token)
      .send({ username: 'alice', password: 'alice-password' });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.match(String(login.headers['set-cookie']), /; Secure/);
  });
});
