import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { verifyPassword } from '../src/auth/passwords.js';
import { hashToken } from '../src/auth/tokens.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { createTestEnv, type FixtureStorage, runCliInProcess, startFixtureStorage, type TestEnv } from './helpers.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('numeter-webapp command line', () => {
  let t: TestEnv;
  let storage: FixtureStorage;
  /** In-process, as the binary would run it (spawning costs ~2 s each; a few tests below spawn for real). */
  const cli = async (...args: string[]) => {
    const { code, lines, message } = await runCliInProcess(...args);
    return { code, stdout: lines.map((l) => `${l}\n`).join(''), stderr: message };
  };
  const spawnCli = async (...args: string[]) => {
    try {
      const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...t.env }, timeout: 30_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await t.deps.pool.query<RowDataPacket[]>(sql, params))[0][0].n);

  before(async () => {
    t = await createTestEnv();
    Object.assign(process.env, t.env);
    storage = await startFixtureStorage();
  });
  after(async () => {
    try {
      await storage.close();
    } finally {
      await t.drop();
    }
  });

  it('migrate is idempotent and --print-config masks secrets', async () => {
    const m = await spawnCli('migrate');
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, new RegExp(`schema up to date \\(version ${Math.max(...MIGRATIONS.map((x) => x.version))}\\)`));
    const p = await spawnCli('--print-config', 'migrate');
    assert.match(p.stdout, /\[web\]\nlisten = 127\.0\.0\.1\nport = 8000/);
    assert.match(p.stdout, /secret_key = \*{8}/);
    assert.doesNotMatch(p.stdout, /test-secret/);
  });

  it('adds users with a generated password printed once, groups and tokens', async () => {
    assert.equal((await cli('group', 'add', '-n', 'ops,dev')).code, 0);
    const add = await cli('user', 'add', '-u', 'alice', '-g', 'ops', '-e', 'alice@example.com');
    assert.equal(add.code, 0, add.stderr);
    const password = /password: (\S+)/.exec(add.stdout)![1];
    const alice = (await t.deps.repos.users.byUsername('alice'))!;
    assert.ok(await verifyPassword((await t.deps.repos.users.passwordHash(alice.id))!, password));
    assert.equal(alice.groups.length, 1);
    const admin = await cli('user', 'add', '-u', 'admin', '-S', '--password', 'admin-password');
    assert.doesNotMatch(admin.stdout, /password:/);
    assert.equal((await t.deps.repos.users.byUsername('admin'))!.isSuperuser, true);
    const list = await cli('user', 'list');
    assert.match(list.stdout, /alice\s+alice@example\.com\s+false\s+ops/);
    const bad = await cli('user', 'add', '-u', 'x', '-g', 'nosuchgroup');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no group "nosuchgroup"/);
    const token = await cli('token', 'add', '-u', 'alice', '-n', 'cron');
    const secret = token.stdout.trim().split('\n').at(-1)!;
    assert.equal(await count('SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = ?', [hashToken(secret)]), 1);
    assert.doesNotMatch((await cli('token', 'list')).stdout, new RegExp(secret));
  });

  it('populate creates hosts, plugins, sources and a default dashboard per host, once', async () => {
    const add = await cli('storage', 'add', '-n', 'main', '-a', '127.0.0.1', '-p', String(storage.port));
    assert.equal(add.code, 0, add.stderr);
    const hosts = await cli('storage', 'hosts');
    assert.match(hosts.stdout, /main\s+web1\.example\s+web1\s+no/);
    const p = await spawnCli('populate');
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /hosts: 2 created, 0 unchanged; plugins: 6; sources: 10; views: 6; multiviews: 2/);
    assert.doesNotMatch(p.stdout, /\r/, 'no progress line when stdout is not a terminal');
    assert.match(p.stderr, /populate main: 2\/2 hosts, 0 unchanged, 0 failed, 0 retries/, 'progress in the log');
    assert.equal(await count('SELECT COUNT(*) AS n FROM hosts'), 2);
    assert.equal(await count('SELECT COUNT(*) AS n FROM plugins'), 6);
    assert.equal(await count('SELECT COUNT(*) AS n FROM sources'), 10);
    const dashboards = await t.deps.repos.multiviews.all();
    assert.deepEqual(dashboards.map((m) => m.name).sort(), ['db1 (db1.example)', 'web1 (web1.example)']);
    const web1 = dashboards.find((m) => m.name.startsWith('web1'))!;
    const views = await Promise.all(web1.views.map((id) => t.deps.repos.views.get(id)));
    assert.deepEqual(views.map((v) => v!.name).sort(), ['web1 - CPU usage', 'web1 - Load average', 'web1 - eth0 traffic']);
    const cpu = views.find((v) => v!.name === 'web1 - CPU usage')!;
    const paths = await t.deps.repos.sources.withPath(cpu.sources);
    assert.deepEqual(
      paths.map((x) => x.source.name),
      ['system', 'user'],
      'munin graph_order first',
    );
    const again = await cli('populate');
    assert.match(again.stdout, /hosts: 0 created, 2 unchanged; plugins: 0; sources: 0; views: 0; multiviews: 0/);
    assert.equal(await count('SELECT COUNT(*) AS n FROM views'), 6);
  });

  it('adds, modifies and lists hosts', async () => {
    const add = await cli('host', 'add', '-a');
    assert.match(add.stdout, /host web1\.example linked to storage main/);
    const unknown = await cli('host', 'add', '-i', 'nope.example');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no storage has host "nope\.example"/);
    const mod = await cli('host', 'mod', '-i', 'web1.example', '-g', 'ops');
    assert.equal(mod.code, 0, mod.stderr);
    assert.match((await cli('host', 'list')).stdout, /web1\.example\s+web1\s+main\s+ops/);
  });

  it('skeleton create_view builds one view across hosts', async () => {
    const r = await spawnCli('skeleton', 'create_view', '--host', 'web1.example,db1', '--skeleton', 'network', '-n', 'all traffic');
    assert.equal(r.code, 0, r.stderr);
    const id = Number(/view (\d+) created with 4 sources/.exec(r.stdout)![1]);
    const view = (await t.deps.repos.views.get(id))!;
    assert.equal(view.name, 'all traffic');
    const labels = (await t.deps.repos.sources.withPath(view.sources)).map((p) => `${p.host.name}/${p.plugin.name}/${p.source.name}`);
    assert.deepEqual(labels, ['web1/if_eth0/down', 'web1/if_eth0/up', 'db1/if_eth0/down', 'db1/if_eth0/up']);
    const custom = await cli('skeleton', 'add', '-n', 'cpu-user', '-p', '^cpu', '-s', '^user$');
    assert.equal(custom.code, 0, custom.stderr);
    const one = await cli('skeleton', 'create_view', '-H', 'web1', '-s', 'cpu-user');
    assert.match(one.stdout, /created with 1 sources/);
    const missing = await cli('skeleton', 'create_view', '-H', 'nohost', '-s', 'cpu');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no host "nohost"/);
  });

  it('reports a bad configuration and exits 2', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', MAIN, 'migrate'], {
      env: { ...process.env, ...t.env, NUMETER_WEBAPP_WEB_PORT: 'x', NUMETER_WEBAPP_STORAGE_TIMEOUT: '-1' },
    }).catch((e) => e);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[web\] port/);
    assert.match(r.stderr, /\[storage\] timeout/);
  });
});
