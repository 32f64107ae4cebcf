import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { silentLogger } from '../../../common/logging/index.js';
import { createApp } from '../src/app.js';
import { hashPassword } from '../src/auth/passwords.js';
import { describeError } from '../src/cli/context.js';
import { buildProgram } from '../src/cli/program.js';
import { loadWebappConfig, type WebappConfig } from '../src/config.js';
import { migrate } from '../src/db/migrations.js';
import { type AppDeps, buildDeps } from '../src/deps.js';

/** A database of this test file's own, dropped by `drop()`. */
export async function createTestDatabase(
  extraEnv: Record<string, string> = {},
): Promise<{ name: string; config: WebappConfig; env: Record<string, string>; drop: () => Promise<void> }> {
  const name = `nmt_webapp_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.end();
  const env = {
    NUMETER_WEBAPP_DATABASE_USER: 'root',
    NUMETER_WEBAPP_DATABASE_NAME: name,
    NUMETER_WEBAPP_WEB_SECRET_KEY: 'test-secret',
    NUMETER_WEBAPP_STORAGE_TIMEOUT: '1',
    ...extraEnv,
  };
  const config = loadWebappConfig(undefined, false, env);
  return {
    name,
    config,
    env,
    drop: async () => {
      const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

export interface TestEnv {
  deps: AppDeps;
  app: express.Express;
  drop: () => Promise<void>;
  env: Record<string, string>;
}

/** Database + migrations + deps + the express app. */
export async function createTestEnv(extraEnv: Record<string, string> = {}): Promise<TestEnv> {
  const db = await createTestDatabase(extraEnv);
  const deps = buildDeps(db.config, { logger: silentLogger() });
  await migrate(deps.pool);
  const app = await createApp(deps, { mountUi: false });
  return {
    deps,
    app,
    env: db.env,
    drop: async () => {
      try {
        await deps.close();
      } finally {
        await db.drop();
      }
    },
  };
}

export async function addUser(
  deps: AppDeps,
  username: string,
  password: string,
  options: { superuser?: boolean; groups?: number[] } = {},
): Promise<number> {
  return deps.repos.users.create({
    username,
    email: '',
    isSuperuser: options.superuser ?? false,
    graphLib: 'uplot',
    groups: options.groups ?? [],
    passwordHash: await hashPassword(password),
  });
}

/** A supertest agent logged in through the real login route (CSRF token included in later calls). */
export async function loginAgent(app: express.Express, username: string, password: string) {
  const agent = request.agent(app);
  const session = await agent.get('/session').expect(200);
  const login = await agent.post('/login').set('X-CSRF-Token', session.body.csrf_token).send({ username, password });
  if (login.status !== 200) throw new Error(`login of ${username} failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { agent, csrf: login.body.csrf_token as string };
}

// ---- a storage of the test's own, in the storage API shapes ----

export interface FixtureStorage {
  server: Server;
  port: number;
  requests: string[];
  close: () => Promise<void>;
}

export const FIXTURE_HOSTS = {
  'web1.example': { Plugin: 'MyInfo', ID: 'web1.example', Name: 'web1', Description: 'front' },
  'db1.example': { Plugin: 'MyInfo', ID: 'db1.example', Name: 'db1', Description: 'database' },
};

const PLUGINS: Record<string, { Title: string; Category: string; Order?: string; Infos: Record<string, Record<string, string>> }> = {
  load: { Title: 'Load average', Category: 'system', Infos: { load: { id: 'load', label: 'load', colour: '00FF00' } } },
  cpu: {
    Title: 'CPU usage',
    Category: 'system',
    Order: 'system user',
    Infos: { user: { id: 'user', label: 'user', draw: 'AREA' }, system: { id: 'system', label: 'system', draw: 'STACK' } },
  },
  if_eth0: {
    Title: 'eth0 traffic',
    Category: 'network',
    Infos: {
      down: { id: 'down', label: 'received', graph: 'no', cdef: 'down,8,*' },
      up: { id: 'up', label: 'bps', negative: 'down', cdef: 'up,8,*' },
    },
  },
};

export function pluginInfo(plugin: string) {
  const p = PLUGINS[plugin];
  return {
    Plugin: plugin,
    Title: p.Title,
    Describ: `${p.Title} of the host`,
    Vlabel: '',
    Base: '1000',
    Order: p.Order ?? '',
    Category: p.Category,
    Infos: p.Infos,
  };
}

export const TS_START = 1_700_000_000;

/** Value i of a data source: distinct per host/ds so tests can tell series apart. */
export function fixtureValue(host: string, ds: string, i: number): number {
  return (host.length * 100 + ds.length) * 1000 + i;
}

export async function startFixtureStorage(options: { slowMs?: number; hosts?: Record<string, unknown> } = {}): Promise<FixtureStorage> {
  const app = express();
  const requests: string[] = [];
  const hosts = options.hosts ?? FIXTURE_HOSTS;
  const r = express.Router();
  app.use((req, _res, next) => {
    requests.push(req.originalUrl);
    next();
  });
  if (options.slowMs) app.use((_req, _res, next) => void setTimeout(next, options.slowMs));
  const knownHost = (req: express.Request, res: express.Response) => {
    const host = String(req.query.host ?? '');
    if (!host) res.status(400).json({ error: 'missing parameter host', parameter: 'host' });
    else if (!(host in hosts)) res.status(404).json({ error: `unknown host ${host}`, parameter: 'host' });
    else return host;
    return null;
  };
  r.get('/hosts', (_req, res) => void res.json(hosts));
  r.get('/hinfo', (req, res) => {
    const host = knownHost(req, res);
    if (host) res.json((hosts as Record<string, unknown>)[host]);
  });
  r.get('/list', (req, res) => {
    if (knownHost(req, res)) res.json(Object.fromEntries(Object.keys(PLUGINS).map((p) => [p, pluginInfo(p)])));
  });
  r.get('/info', (req, res) => {
    if (!knownHost(req, res)) return;
    const plugin = String(req.query.plugin);
    if (!(plugin in PLUGINS)) res.status(404).json({ error: `unknown plugin ${plugin}`, parameter: 'plugin' });
    else res.json(pluginInfo(plugin));
  });
  r.get('/data', (req, res) => {
    const host = knownHost(req, res);
    if (!host) return;
    const res_ = String(req.query.res ?? 'Daily');
    if (req.query.from === undefined && !['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly'].includes(res_)) {
      res.status(400).json({ error: 'res must be one of Hourly, Daily, Weekly, Monthly, Yearly', parameter: 'res' });
      return;
    }
    const plugin = PLUGINS[String(req.query.plugin)];
    const ds = String(req.query.ds ?? '')
      .split(',')
      .filter((d) => plugin && d in plugin.Infos);
    const step = res_ === 'Weekly' ? 300 : 60;
    res.json({
      TS_start: TS_START,
      TS_step: step,
      DATAS: Object.fromEntries(ds.map((d) => [d, [0, 1, 2, 3].map((i) => fixtureValue(host, d, i))])),
    });
  });
  r.get('/broken/hosts', (_req, res) => void res.type('text/html').send('}'));
  app.use('/numeter-storage', r);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = express().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function addStorage(deps: AppDeps, name: string, port: number): Promise<number> {
  return deps.repos.storages.create({
    name,
    protocol: 'http',
    address: '127.0.0.1',
    port,
    urlPrefix: '/numeter-storage',
    login: '',
    password: '',
    token: '',
  });
}

/**
 * Runs the webapp command line in-process, as the binary would run it (spawning costs ~2 s
 * each): the lines it printed, and the exit code and message of its error, if any.
 */
export async function runCliInProcess(...args: string[]): Promise<{ code: number; lines: string[]; message: string }> {
  const lines: string[] = [];
  const program = buildProgram(
    (l) => lines.push(l),
    () => Promise.reject(new Error('serve is not for tests')),
  );
  program.exitOverride();
  try {
    await program.parseAsync(['node', 'numeter-webapp', ...args]);
    return { code: 0, lines, message: '' };
  } catch (error) {
    return { ...describeError(error), lines };
  }
}
