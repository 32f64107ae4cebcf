/**
 * `npm start`'s orchestrator as a user runs it (dist/deploy/local/stack/start.js, after
 * start.sh's install/build/ensure steps): progress step by step, the URL and login printed,
 * Ctrl-C stopping every service in reverse order with exit code 0, and a second start
 * reusing the same password and data, and a start without the secrets file printing a login
 * that works. Test ports, state dir, database, MariaDB user, vhost
 * and Redis prefix of its own.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { dropDatabase } from '../stack/database.js';
import { freePort, getJson } from '../stack/probes.js';
import { e2eName, ROOT } from './fixtures.js';
import { signIn } from './webapp-session.js';

interface Run {
  output: string;
  code: number | null;
}

/** Starts the orchestrator, waits for "numeter is running", runs `whileUp`, then Ctrl-C. */
async function startAndInterrupt(env: NodeJS.ProcessEnv, whileUp: (output: string) => Promise<void>): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/deploy/local/stack/start.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ctrl-C stops everything')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`npm start exited before running:\n${output}`)));
  });
  try {
    await running;
    await whileUp(output);
  } finally {
    child.kill('SIGINT');
  }
  const code = await exited;
  return { output, code };
}

describe('npm start (the orchestrator of deploy/local/start.sh)', () => {
  let vhost: Vhost;
  let stateDir: string;
  const database = e2eName('start').replace(/-/g, '_');
  const appUser = `e2e_${database.slice(-8)}`;
  const prefix = `${e2eName('start')}:`;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    vhost = await createVhost('e2e-vhost');
    stateDir = mkdtempSync(join(tmpdir(), 'numeter-npm-start-'));
    env = {
      NUMETER_START_STATE_DIR: stateDir,
      NUMETER_START_WEBAPP_PORT: String(await freePort()),
      NUMETER_START_STORAGE_PORT: String(await freePort()),
      NUMETER_START_MUNIN_PORT: String(await freePort()), // nobody answers: system module only
      NUMETER_START_POLLER_TIME: '2',
      NUMETER_START_AMQP_URL: vhost.url,
      NUMETER_START_REDIS_PREFIX: prefix,
      NUMETER_START_DB_NAME: database,
      NUMETER_START_DB_APP_USER: appUser,
    };
  });

  after(async () => {
    await vhost?.delete().catch(() => {});
    await deleteRedisPrefix(prefix).catch(() => 0);
    await dropDatabase({ host: '127.0.0.1', port: 3306, name: database, adminUser: 'root', adminPassword: '' }).catch(() => {});
    const connection = await mysql.createConnection({ host: '127.0.0.1', user: 'root', password: '' });
    for (const from of ['localhost', '127.0.0.1']) await connection.query(`DROP USER IF EXISTS '${appUser}'@'${from}'`).catch(() => {});
    await connection.end();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  test('first start: steps, URL and login; a working webapp; Ctrl-C stops in reverse order; a second start reuses password and data', async () => {
    const login = (output: string) => /login: admin \/ (\S+)/.exec(output)?.[1];
    const webapp = `http://127.0.0.1:${env.NUMETER_START_WEBAPP_PORT}`;
    let hostsFirst: string[] = [];
    const first = await startAndInterrupt(env, async (output) => {
      const password = login(output);
      assert.ok(password, 'the login is printed');
      const signedIn = await signIn(webapp, 'admin', password);
      const dashboards = await (await fetch(`${webapp}/rest/multiviews`, { headers: { cookie: signedIn } })).json();
      assert.equal(dashboards.count, 1, 'the printed login works and the host has its default dashboard');
      const storage = `http://127.0.0.1:${env.NUMETER_START_STORAGE_PORT}/numeter-storage`;
      hostsFirst = Object.keys((await getJson<Record<string, unknown>>(`${storage}/hosts`)).body);
      assert.equal(hostsFirst.length, 1, 'the local poller host is in the storage');
      assert.ok(login(output));
    });
    process.stdout.write(`  measured: first start output:\n${first.output.replace(/^/gm, '    | ')}\n`);
    assert.equal(first.code, 0);
    for (let step = 1; step <= 8; step++) assert.match(first.output, new RegExp(`\\[${step}/8\\]`), `step ${step} shown`);
    assert.match(first.output, /generated secrets/);
    assert.match(first.output, new RegExp(`numeter is running: ${webapp}/`));
    const stops = [...first.output.matchAll(/stopping (poller|webapp|storage)/g)].map((m) => m[1]);
    assert.deepEqual(stops, ['poller', 'webapp', 'storage'], 'reverse order');
    assert.match(first.output, /storage local stopped \(code 0\)/);

    const second = await startAndInterrupt(env, async () => {
      const storage = `http://127.0.0.1:${env.NUMETER_START_STORAGE_PORT}/numeter-storage`;
      assert.deepEqual(Object.keys((await getJson<Record<string, unknown>>(`${storage}/hosts`)).body), hostsFirst, 'same host, same data');
    });
    assert.equal(second.code, 0);
    assert.match(second.output, /reusing secrets/);
    assert.match(second.output, /admin user admin exists/);
    assert.match(second.output, /already registered/);
    assert.equal(login(second.output), login(first.output), 'same password');

    // A checkout whose .numeter/ lost its secrets meets a database that has an admin: the
    // login printed must still be one that works (it used to print a new, unusable password).
    rmSync(join(stateDir, 'secrets.json'));
    const third = await startAndInterrupt(env, async (output) => {
      const password = login(output);
      assert.ok(password && password !== login(first.output), 'a new password is printed');
      await signIn(webapp, 'admin', password);
    });
    assert.equal(third.code, 0);
    assert.match(third.output, /admin user admin existed with an unknown password: set to the one printed below/);
  });
});
