import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { silentLogger } from '../../../common/logging/index.js';
import { createToken } from '../src/auth/tokens.js';
import { describeError } from '../src/cli/context.js';
import { buildProgram } from '../src/cli/program.js';
import { MIGRATIONS, migrate } from '../src/db/migrations.js';
import { buildDeps } from '../src/deps.js';
import { addUser, createTestDatabase, createTestEnv, loginAgent, type TestEnv } from './helpers.js';

describe('a password change or a deletion ends the user\u2019s sessions', () => {
  let t: TestEnv;
  const sessionsOf = async (userId: number) =>
    Number((await t.deps.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [userId]))[0][0].n);
  const cli = async (...args: string[]) => {
    const program = buildProgram(
      () => undefined,
      () => Promise.reject(new Error('serve is not for tests')),
    );
    program.exitOverride();
    try {
      await program.parseAsync(['node', 'numeter-webapp', ...args]);
    } catch (error) {
      assert.fail(describeError(error).message);
    }
  };

  before(async () => {
    t = await createTestEnv();
    Object.assign(process.env, t.env);
    await addUser(t.deps, 'root', 'root-password', { superuser: true });
  });
  after(() => t.drop());

  it('set_password of one\u2019s own keeps the current session and ends the others', async () => {
    const aliceId = await addUser(t.deps, 'alice', 'alice-password');
    const here = await loginAgent(t.app, 'alice', 'alice-password');
    const elsewhere = await loginAgent(t.app, 'alice', 'alice-password');
    const root = await loginAgent(t.app, 'root', 'root-password');
    assert.equal(await sessionsOf(aliceId), 2);
    await here.agent
      .post(`/rest/users/${aliceId}/set_password/`)
      .set('X-CSRF-Token', here.csrf)
      .send({ password: 'alice-new-password', current_password: 'alice-password' })
      .expect(200);
    assert.equal(await sessionsOf(aliceId), 1);
    await here.agent.get('/rest/hosts/').expect(200);
    await elsewhere.agent.get('/rest/hosts/').expect(401);
    await root.agent.get('/rest/hosts/').expect(200);
  });

  it('set_password by a superuser ends every session of the user, not the superuser\u2019s', async () => {
    const bobId = await addUser(t.deps, 'bob', 'bob-password');
    const bob = await loginAgent(t.app, 'bob', 'bob-password');
    const root = await loginAgent(t.app, 'root', 'root-password');
    await root.agent
      .post(`/rest/users/${bobId}/set_password/`)
      .set('X-CSRF-Token', root.csrf)
      .send({ password: 'bob-new-password' })
      .expect(200);
    assert.equal(await sessionsOf(bobId), 0);
    await bob.agent.get('/rest/hosts/').expect(401);
    await root.agent.get('/rest/hosts/').expect(200);
  });

  it('user mod -p ends the user\u2019s sessions; without -p they stay', async () => {
    const carolId = await addUser(t.deps, 'carol', 'carol-password');
    const carol = await loginAgent(t.app, 'carol', 'carol-password');
    await cli('user', 'mod', '-u', 'carol', '-e', 'carol@example.org');
    await carol.agent.get('/rest/hosts/').expect(200);
    await cli('user', 'mod', '-u', 'carol', '-p', 'carol-new-password');
    assert.equal(await sessionsOf(carolId), 0);
    await carol.agent.get('/rest/hosts/').expect(401);
    await loginAgent(t.app, 'carol', 'carol-new-password');
  });

  it('deleting a user (REST or CLI) removes their sessions and tokens', async () => {
    const root = await loginAgent(t.app, 'root', 'root-password');
    for (const how of ['rest', 'cli'] as const) {
      const id = await addUser(t.deps, `dave-${how}`, 'dave-password');
      const dave = await loginAgent(t.app, `dave-${how}`, 'dave-password');
      const { token } = await createToken(t.deps.repos, id, 'script');
      await dave.agent.get('/rest/hosts/').set('Authorization', `Bearer ${token}`).expect(200);
      if (how === 'rest') await root.agent.delete(`/rest/users/${id}/`).set('X-CSRF-Token', root.csrf).expect(204);
      else await cli('user', 'del', '-u', `dave-${how}`);
      assert.equal(await sessionsOf(id), 0, how);
      const [tokens] = await t.deps.pool.query<RowDataPacket[]>('SELECT id FROM api_tokens WHERE user_id = ?', [id]);
      assert.deepEqual(tokens, [], how);
      await dave.agent.get('/rest/hosts/').expect(401);
      await dave.agent.get('/rest/hosts/').set('Authorization', `Bearer ${token}`).expect(401);
    }
    await root.agent.get('/rest/hosts/').expect(200);
  });

  it('the migration gives sessions stored before it their user', async () => {
    const db = await createTestDatabase();
    const deps = buildDeps(db.config, { logger: silentLogger() });
    try {
      await migrate(
        deps.pool,
        MIGRATIONS.filter((m) => m.version < 4),
      );
      const data = (userId?: number) => JSON.stringify({ cookie: { originalMaxAge: 1000 }, ...(userId ? { userId } : {}) });
      await deps.pool.query('INSERT INTO sessions (sid, expires, data) VALUES (?, ?, ?), (?, ?, ?)', [
        'a',
        Date.now() + 60_000,
        data(7),
        'b',
        Date.now() + 60_000,
        data(),
      ]);
      await migrate(deps.pool);
      const [rows] = await deps.pool.query<RowDataPacket[]>('SELECT sid, user_id FROM sessions ORDER BY sid');
      assert.deepEqual(
        rows.map((r) => [r.sid, r.user_id]),
        [
          ['a', 7],
          ['b', null],
        ],
      );
    } finally {
      await deps.close();
      await db.drop();
    }
  });
});
