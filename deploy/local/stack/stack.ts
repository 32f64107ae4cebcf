import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAdmin } from './admin.js';
import { type ExitInfo, runCommand, ServiceChild } from './child.js';
import { writePollerConfig, writeStorageConfig, writeWebappConfig } from './configs.js';
import { ensureDatabase } from './database.js';
import { entryPoint, logDir, type PollerSpec, parentWatch, pollerDir, type StackOptions, type StorageSpec } from './options.js';
import { getJson, waitFor, waitForHttp } from './probes.js';
import { loadOrCreateSecrets, type StackSecrets } from './secrets.js';

/**
 * The whole system on one machine: the database and first admin, then storage(s), the
 * webapp and local poller(s) as child processes of their dist/ entry points, the storages
 * registered in the webapp, and the pollers' hosts imported with a default dashboard.
 * `npm start` (start.ts) and the end-to-end tests (deploy/local/test/) both call startStack().
 */
export interface RunningStorage {
  spec: StorageSpec;
  child: ServiceChild;
  configFile: string;
  /** http://127.0.0.1:<port>/numeter-storage */
  apiUrl: string;
}

export interface RunningPoller {
  spec: PollerSpec;
  child: ServiceChild;
  configFile: string;
  stateDir: string;
}

export class Stack {
  readonly storages = new Map<string, RunningStorage>();
  readonly pollers = new Map<string, RunningPoller>();
  webapp: ServiceChild | undefined;
  webappConfigFile = '';
  /** Whether `secrets.adminPassword` logs in as the admin (`admin.ts`); only then is it printed. */
  adminPasswordWorks = true;
  private stopped = false;

  constructor(
    readonly options: StackOptions,
    readonly secrets: StackSecrets,
  ) {}

  get webappUrl(): string {
    return `http://127.0.0.1:${this.options.webappPort}`;
  }

  /** Runs `numeter-webapp --config <stack config> <args>` and returns its output. */
  webappCli(args: string[]): Promise<string> {
    return runCommand(entryPoint(this.options.root, 'webapp'), ['--config', this.webappConfigFile, ...args]);
  }

  /** The poller's host ID: configured, or the one it generated in its state dir. */
  async pollerHostId(name: string, timeoutMs = 20_000): Promise<string> {
    const poller = this.pollers.get(name);
    if (!poller) throw new Error(`no poller ${name}`);
    if (poller.spec.hostId) return poller.spec.hostId;
    const file = join(poller.stateDir, 'host_id');
    return waitFor(`${file}`, async () => (existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined), timeoutMs);
  }

  /** The storage holding `hostId` with at least one plugin, once it does. */
  async waitForHost(hostId: string, timeoutMs: number): Promise<RunningStorage> {
    return waitFor(
      `host ${hostId} with plugins in a storage`,
      async () => {
        for (const storage of this.storages.values()) {
          const list = await getJson<Record<string, unknown>>(`${storage.apiUrl}/list?host=${encodeURIComponent(hostId)}`);
          if (list.status === 200 && Object.keys(list.body).length > 0) return storage;
        }
        return undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** SIGTERM in reverse start order (pollers, webapp, storages), each waited for. Idempotent. */
  async stop(deadlineMs = 20_000): Promise<Array<{ name: string } & ExitInfo>> {
    if (this.stopped) return [];
    this.stopped = true;
    const results: Array<{ name: string } & ExitInfo> = [];
    const children = [
      ...[...this.pollers.values()].map((p) => p.child),
      ...(this.webapp ? [this.webapp] : []),
      ...[...this.storages.values()].map((s) => s.child),
    ];
    for (const child of children) {
      if (!child.running) continue;
      this.options.progress(`stopping ${child.spec.name}`);
      results.push({ name: child.spec.name, ...(await child.stop(deadlineMs)) });
    }
    return results;
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const timeout = options.startTimeoutMs ?? 60_000;
  const steps = 8;
  let step = 0;
  const progress = (line: string) => options.progress(`[${++step}/${steps}] ${line}`);
  for (const service of ['storage', 'webapp', 'poller'] as const) {
    if (!existsSync(entryPoint(options.root, service)))
      throw new Error(`${entryPoint(options.root, service)} is missing: run npm run build first`);
  }

  const { secrets, created } = loadOrCreateSecrets(options.stateDir);
  const stack = new Stack(options, secrets);
  progress(`${created ? 'generated' : 'reusing'} secrets in ${join(options.stateDir, 'secrets.json')}`);

  const db = options.database;
  const how = await ensureDatabase({ ...db, appPassword: secrets.dbPassword });
  stack.webappConfigFile = writeWebappConfig(options, secrets);
  progress(
    `database ${db.name} ready on ${db.host}:${db.port} (as ${db.adminUser} over ${how === 'tcp' ? 'TCP' : 'the socket'}${db.appUser ? `; the webapp connects as ${db.appUser}` : ''})`,
  );

  try {
    // Independent steps run side by side: the database schema and admin while the storages
    // start; then the storages' registration while the webapp and the pollers start.
    const admin = (async () => {
      await stack.webappCli(['migrate']);
      const outcome = await ensureAdmin(options, secrets, created, (args) => stack.webappCli(args));
      stack.adminPasswordWorks = outcome.passwordWorks;
      progress(outcome.line);
    })();
    for (const spec of options.storages) {
      const configFile = writeStorageConfig(options, spec);
      const child = new ServiceChild({
        name: `storage ${spec.name}`,
        script: entryPoint(options.root, 'storage'),
        args: ['--config', configFile],
        logFile: join(logDir(options), `storage-${spec.name}.log`),
        preload: [parentWatch(options.root)],
      });
      const running: RunningStorage = { spec, child, configFile, apiUrl: `http://127.0.0.1:${spec.apiPort}/numeter-storage` };
      stack.storages.set(spec.name, running);
      child.start();
    }
    const storagesHealthy = (async () => {
      for (const storage of stack.storages.values()) await waitForHttp(`${storage.apiUrl}/health`, timeout, () => storage.child.running);
      progress(
        `storage${stack.storages.size > 1 ? 's' : ''} ${[...stack.storages.values()].map((s) => `${s.spec.name} (${s.apiUrl})`).join(', ')} healthy`,
      );
    })();
    await settleAll([admin, storagesHealthy]);

    const registered = (async () => progress(await registerStorages(stack)))();
    const webapp = new ServiceChild({
      name: 'webapp',
      script: entryPoint(options.root, 'webapp'),
      args: ['--config', stack.webappConfigFile, 'serve'],
      logFile: join(logDir(options), 'webapp.log'),
      preload: [parentWatch(options.root)],
    });
    stack.webapp = webapp;
    webapp.start();
    for (const spec of options.pollers) {
      const configFile = writePollerConfig(options, spec);
      const child = new ServiceChild({
        name: `poller ${spec.name}`,
        script: entryPoint(options.root, 'poller'),
        args: ['--config', configFile],
        logFile: join(logDir(options), `poller-${spec.name}.log`),
        preload: [parentWatch(options.root)],
      });
      stack.pollers.set(spec.name, { spec, child, configFile, stateDir: pollerDir(options, spec) });
      child.start();
    }
    progress(
      `poller${options.pollers.length === 1 ? '' : 's'} ${options.pollers.map((p) => `${p.name} (modules ${p.modules}, every ${p.pollerTime} s)`).join(', ') || '(none)'} started`,
    );
    const webappUp = (async () => {
      await waitForHttp(`${stack.webappUrl}/healthz`, timeout, () => webapp.running);
      progress(`webapp answering on ${stack.webappUrl}`);
    })();
    await settleAll([registered, webappUp]);

    if (options.pollers.length > 0) {
      for (const spec of options.pollers) {
        const hostId = await stack.pollerHostId(spec.name);
        const where = await stack.waitForHost(hostId, Math.max(timeout, spec.pollerTime * 3000));
        options.progress(`      first data of host ${hostId} in storage ${where.spec.name}`);
      }
      const report = (await stack.webappCli(['populate'])).trim();
      progress(`imported the hosts and built their dashboards: ${report}`);
    } else {
      progress('no poller: nothing to import');
    }
  } catch (error) {
    await stack.stop(5000);
    throw error;
  }
  return stack;
}

/** Awaits every promise (none left running unobserved), then throws the first failure. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Each storage in the webapp under its name; an existing one is pointed at the current port. */
async function registerStorages(stack: Stack): Promise<string> {
  const known = parseTable(await stack.webappCli(['storage', 'list']));
  const done: string[] = [];
  for (const storage of stack.storages.values()) {
    const row = known.find((r) => r.NAME === storage.spec.name);
    const port = String(storage.spec.apiPort);
    if (!row) {
      await stack.webappCli(['storage', 'add', '-n', storage.spec.name, '-a', '127.0.0.1', '-p', port]);
      done.push(`${storage.spec.name} registered`);
    } else if (!row.URL?.includes(`:${port}/`)) {
      await stack.webappCli(['storage', 'mod', '-i', storage.spec.name, '-a', '127.0.0.1', '-p', port]);
      done.push(`${storage.spec.name} moved to port ${port}`);
    } else done.push(`${storage.spec.name} already registered`);
  }
  return `webapp storages: ${done.join(', ')}`;
}

/** The CLI's fixed-width tables (`ID  NAME  URL`) as rows keyed by header. */
export function parseTable(text: string): Array<Record<string, string>> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts: Array<{ name: string; at: number }> = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index ?? 0 });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((col, i) => {
      row[col.name] = line.slice(col.at, starts[i + 1]?.at ?? line.length).trim();
    });
    return row;
  });
}
