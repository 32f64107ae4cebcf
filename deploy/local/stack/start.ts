import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PollerSpec, StackOptions } from './options.js';
import { portAnswers } from './probes.js';
import { startStack } from './stack.js';

/**
 * `npm start` (after deploy/local/start.sh has installed, built and ensured RabbitMQ,
 * Redis and MariaDB): the whole stack on this machine until Ctrl-C. Everything lives
 * in `.numeter/` of the checkout, so a second start reuses the same data and password.
 * NUMETER_START_* variables change ports and places (docs/quickstart.md).
 */
const env = process.env;
const here = dirname(fileURLToPath(import.meta.url));
// dist/deploy/local/stack → the checkout
const root = resolve(here, '..', '..', '..', ...(here.includes(`${join('dist', 'deploy')}`) ? ['..'] : []));

function intFrom(name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${raw}: expected a whole number`);
  return n;
}

export async function stackOptionsFromEnvironment(): Promise<StackOptions> {
  const pollerTime = intFrom('NUMETER_START_POLLER_TIME', 15);
  const muninPort = intFrom('NUMETER_START_MUNIN_PORT', 4949);
  const munin = await portAnswers(muninPort);
  const poller: PollerSpec = { name: 'local', pollerTime, modules: munin ? 'munin|system' : 'system', muninPort };
  return {
    root,
    stateDir: resolve(env.NUMETER_START_STATE_DIR || join(root, '.numeter')),
    amqpUrl: env.NUMETER_START_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672/%2F',
    redis: {
      host: '127.0.0.1',
      port: intFrom('NUMETER_START_REDIS_PORT', 6379),
      db: intFrom('NUMETER_START_REDIS_DB', 0),
      prefix: env.NUMETER_START_REDIS_PREFIX ?? '',
    },
    database: {
      host: '127.0.0.1',
      port: intFrom('NUMETER_START_DB_PORT', 3306),
      name: env.NUMETER_START_DB_NAME || 'numeter',
      adminUser: env.NUMETER_START_DB_ADMIN_USER || 'root',
      adminPassword: env.NUMETER_START_DB_ADMIN_PASSWORD ?? '',
      appUser: env.NUMETER_START_DB_APP_USER || 'numeter',
    },
    webappPort: intFrom('NUMETER_START_WEBAPP_PORT', 8000),
    storages: [{ name: env.NUMETER_START_STORAGE_NAME || 'local', apiPort: intFrom('NUMETER_START_STORAGE_PORT', 8080) }],
    pollers: [poller],
    retentions: `${pollerTime}s:2d,1m:14d,5m:90d,1h:2y`,
    adminUsername: 'admin',
    progress: (line) => process.stdout.write(`numeter: ${line}\n`),
  };
}

async function main(): Promise<number> {
  const options = await stackOptionsFromEnvironment();
  const busy = [];
  for (const [what, port, variable] of [
    ['webapp', options.webappPort, 'NUMETER_START_WEBAPP_PORT'],
    ['storage API', options.storages[0].apiPort, 'NUMETER_START_STORAGE_PORT'],
  ] as const) {
    if (await portAnswers(port)) busy.push(`port ${port} (${what}) is already in use: stop what listens there or set ${variable}`);
  }
  if (busy.length) {
    for (const line of busy) process.stderr.write(`numeter: ${line}\n`);
    return 1;
  }
  if (options.pollers[0].modules.includes('munin'))
    options.progress(`munin-node answers on 127.0.0.1:${options.pollers[0].muninPort}: the poller reads it too`);
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    stack = await startStack(options);
  } catch (error) {
    process.stderr.write(`numeter: could not start: ${(error as Error).message}\nnumeter: logs are in ${join(options.stateDir, 'logs')}\n`);
    return 1;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('');
  out(`  numeter is running: ${stack.webappUrl}/`);
  out(
    stack.adminPasswordWorks
      ? `  login: ${options.adminUsername} / ${stack.secrets.adminPassword}   (kept in ${join(options.stateDir, 'secrets.json')})`
      : `  login: ${options.adminUsername} / the password you set in the webapp (reset it with numeter-webapp user mod -u ${options.adminUsername} -p ...)`,
  );
  out(`  storage API: ${[...stack.storages.values()].map((s) => s.apiUrl).join(', ')}`);
  out(`  logs: ${join(options.stateDir, 'logs')}/   data: ${join(options.stateDir, 'storage')}/`);
  out('  Ctrl-C stops everything.');
  out('');
  const running = stack;
  const crashed = new Promise<string>((resolve) => {
    for (const child of [...running.storages.values()]
      .map((s) => s.child)
      .concat(
        running.webapp ? [running.webapp] : [],
        [...running.pollers.values()].map((p) => p.child),
      )) {
      child.onUnexpectedExit = (info) =>
        resolve(`${child.spec.name} exited unexpectedly (code ${info.code}, signal ${info.signal}); see ${child.spec.logFile}`);
    }
  });
  const signalled = new Promise<string>((resolve) => {
    if (interrupted) resolve('interrupted');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.once('SIGINT', () => resolve('Ctrl-C'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const reason = await Promise.race([crashed, signalled]);
  options.progress(`${reason}: stopping in reverse order`);
  const results = await stack.stop();
  for (const r of results) options.progress(`${r.name} stopped (${r.signal ? `signal ${r.signal}` : `code ${r.code}`})`);
  return reason.includes('unexpectedly') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`numeter: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
