import type { Command } from 'commander';
import { createLogger } from '../../../../common/logging/index.js';
import { SkeletonIn, StorageIn } from '../../../../common/schemas/index.js';
import { logFile } from '../config.js';
import { type AppDeps, retryPolicy } from '../deps.js';
import { populate } from '../populate.js';
import { populateProgress } from '../populate-progress.js';
import type { Host, Skeleton, Storage } from '../repos/index.js';
import { createViewFromSkeleton, partIn } from '../skeletons.js';
import { describeStorageError } from '../storage-client/errors.js';
import { type GlobalOptions, idList, nameList, type Out, table, UsageError, withDeps } from './context.js';

function checked<T>(
  result: { success: true; data: T } | { success: false; error: { issues: { path: (string | number)[]; message: string }[] } },
): T {
  if (!result.success) throw new UsageError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
}

/** `--concurrency`: 1…64, as `[storage] populate_concurrency`. */
function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency: not a whole number from 1 to 64: "${value}"`);
  return n;
}

/** Storages named by ids or names, comma separated; `all` (or nothing) means every storage. */
async function pickStorages(deps: AppDeps, which: string | undefined): Promise<Storage[]> {
  if (!which || which === 'all') return deps.repos.storages.all();
  return Promise.all(
    nameList(which).map(async (s) => {
      const storage = /^\d+$/.test(s) ? await deps.repos.storages.get(Number(s)) : await deps.repos.storages.byName(s);
      if (!storage) throw new UsageError(`no storage "${s}"`);
      return storage;
    }),
  );
}

async function pickGroup(deps: AppDeps, which: string) {
  const g = /^\d+$/.test(which) ? await deps.repos.groups.get(Number(which)) : await deps.repos.groups.byName(which);
  if (!g) throw new UsageError(`no group "${which}"`);
  return g;
}

/** Hosts named by database ids, host IDs or names, comma separated. */
async function pickHosts(deps: AppDeps, which: string): Promise<Host[]> {
  const all = await deps.repos.hosts.all();
  return nameList(which).map((h) => {
    const host = all.find((x) => String(x.id) === h) ?? all.find((x) => x.hostid === h) ?? all.find((x) => x.name === h);
    if (!host) throw new UsageError(`no host "${h}" (run populate or storage hosts first)`);
    return host;
  });
}

export function registerInventoryCommands(program: Command, global: () => GlobalOptions, out: Out): void {
  const cli: Cli = { global, out };
  const storage = program.command('storage').description('manage storages');
  for (const register of [storageAdd, storageList, storageDelete, storageModify, storageHosts]) register(storage, cli);
  const host = program.command('host').description('manage hosts');
  for (const register of [hostAdd, hostList, hostDelete, hostModify]) register(host, cli);
  populateCommand(program, cli);
  const skeleton = program.command('skeleton').description('manage view templates');
  for (const register of [skeletonAdd, skeletonList, skeletonDelete, skeletonCreateView]) register(skeleton, cli);
}

/** What every command's action needs: the global options (read when it runs) and the output. */
interface Cli {
  global: () => GlobalOptions;
  out: Out;
}

/** A storage's fields from the command line's options, in the REST API's names. */
function storageFields(o: Record<string, string | undefined>) {
  return {
    name: o.name,
    address: o.address,
    port: o.port === undefined ? undefined : Number(o.port),
    url_prefix: o.urlPrefix,
    protocol: o.protocol,
    login: o.login,
    password: o.password,
    token: o.token,
  };
}

/** `storage add`. */
function storageAdd(storage: Command, { global, out }: Cli): void {
  storage
    .command('add')
    .requiredOption('-n, --name <name>')
    .requiredOption('-a, --address <address>')
    .option('-p, --port <port>', 'port', '8080')
    .option('-u, --url-prefix <prefix>', 'URL prefix', '/numeter-storage')
    .option('-P, --protocol <protocol>', 'http or https', 'http')
    .option('-l, --login <login>', 'HTTP Basic user', '')
    .option('-w, --password <password>', 'HTTP Basic password', '')
    .option('-t, --token <token>', 'Bearer token', '')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const s = checked(StorageIn.safeParse(storageFields(o)));
        out(`storage ${s.name} created (id ${await deps.repos.storages.create({ ...s, urlPrefix: s.url_prefix })})`);
      }),
    );
}

/** `storage list`. */
function storageList(storage: Command, { global, out }: Cli): void {
  storage.command('list').action(() =>
    withDeps(global(), async (deps) => {
      const rows = (await deps.repos.storages.all()).map((s) => [
        s.id,
        s.name,
        `${s.protocol}://${s.address}:${s.port}${s.urlPrefix}`,
        s.login,
      ]);
      out(table(['ID', 'NAME', 'URL', 'LOGIN'], rows));
    }),
  );
}

/** `storage del`. */
function storageDelete(storage: Command, { global, out }: Cli): void {
  storage
    .command('del')
    .requiredOption('-i, --id <ids>', 'ids or names')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const s of await pickStorages(deps, o.id)) {
          await deps.repos.storages.delete(s.id);
          out(`storage ${s.name} deleted`);
        }
      }),
    );
}

/** `storage mod`. */
function storageModify(storage: Command, { global, out }: Cli): void {
  storage
    .command('mod')
    .requiredOption('-i, --id <ids>', 'ids or names')
    .option('-n, --name <name>')
    .option('-a, --address <address>')
    .option('-p, --port <port>')
    .option('-u, --url-prefix <prefix>')
    .option('-P, --protocol <protocol>')
    .option('-l, --login <login>')
    .option('-w, --password <password>')
    .option('-t, --token <token>')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const patch = checked(StorageIn.partial().safeParse(storageFields(o)));
        for (const s of await pickStorages(deps, o.id)) {
          await deps.repos.storages.update(s.id, { ...patch, urlPrefix: patch.url_prefix });
          out(`storage ${s.name} modified`);
        }
      }),
    );
}

/** `storage hosts`. */
function storageHosts(storage: Command, { global, out }: Cli): void {
  storage
    .command('hosts')
    .description("hosts each storage has, and whether they are in the webapp's database")
    .option('-i, --id <ids>', 'ids or names (default: all)')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const rows: (string | number)[][] = [];
        for (const s of await pickStorages(deps, o.id)) {
          const hosts = await deps.storages.clientFor(s).getHosts();
          for (const [hostid, info] of Object.entries(hosts))
            rows.push([s.name, hostid, info.Name, (await deps.repos.hosts.byHostid(hostid)) ? 'yes' : 'no']);
        }
        out(table(['STORAGE', 'HOSTID', 'NAME', 'IN DATABASE'], rows));
      }),
    );
}

/** `host add`. */
function hostAdd(host: Command, { global, out }: Cli): void {
  host
    .command('add')
    .description('create hosts from the storages that have them')
    .option('-i, --id <hostids>', 'storage host IDs, comma separated')
    .option('-a, --all', 'every host of every storage')
    .option('-g, --group <group>', 'group (id or name) of the new hosts')
    .action((o) =>
      withDeps(global(), async (deps) => {
        if (!o.id && !o.all) throw new UsageError('name the hosts with -i <hostids> or -a');
        const groupId = o.group === undefined ? null : (await pickGroup(deps, o.group)).id;
        const { hosts, failures } = await deps.storages.allHosts();
        for (const f of failures) out(`warning: ${describeStorageError(f)}`);
        for (const hostid of o.all ? [...hosts.keys()] : nameList(o.id)) {
          const found = hosts.get(hostid);
          if (!found) throw new UsageError(`no storage has host "${hostid}"`);
          const { host: h, created } = await deps.repos.hosts.upsert(hostid, found.info.Name || hostid, found.storage.id, groupId);
          if (created) out(`host ${h.hostid} created (id ${h.id}) on storage ${found.storage.name}`);
          else out(`host ${h.hostid} linked to storage ${found.storage.name}`);
        }
      }),
    );
}

/** `host list`. */
function hostList(host: Command, { global, out }: Cli): void {
  host
    .command('list')
    .option('-s, --storage <storage>', 'only the hosts of this storage (id or name)')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const storages = new Map((await deps.repos.storages.all()).map((s) => [s.id, s.name]));
        const groups = new Map((await deps.repos.groups.all()).map((g) => [g.id, g.name]));
        const only = o.storage ? (await pickStorages(deps, o.storage))[0].id : undefined;
        const hosts = (await deps.repos.hosts.all()).filter((h) => only === undefined || h.storageId === only);
        out(
          table(
            ['ID', 'HOSTID', 'NAME', 'STORAGE', 'GROUP'],
            hosts.map((h) => [h.id, h.hostid, h.name, storages.get(h.storageId ?? 0) ?? '', groups.get(h.groupId ?? 0) ?? '']),
          ),
        );
      }),
    );
}

/** `host del`. */
function hostDelete(host: Command, { global, out }: Cli): void {
  host
    .command('del')
    .requiredOption('-i, --id <hosts>', 'ids, host IDs or names')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const h of await pickHosts(deps, o.id)) {
          await deps.repos.hosts.delete(h.id);
          out(`host ${h.hostid} deleted`);
        }
      }),
    );
}

/** `host mod`. */
function hostModify(host: Command, { global, out }: Cli): void {
  host
    .command('mod')
    .requiredOption('-i, --id <hosts>', 'ids, host IDs or names')
    .option('-n, --name <name>')
    .option('-s, --storage <storage>', 'id or name')
    .option('-g, --group <group>', 'id or name; "none" for no group')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const storageId = o.storage === undefined ? undefined : (await pickStorages(deps, o.storage))[0].id;
        let groupId: number | null | undefined;
        if (o.group === 'none') groupId = null;
        else if (o.group !== undefined) groupId = (await pickGroup(deps, o.group)).id;
        for (const h of await pickHosts(deps, o.id)) {
          await deps.repos.hosts.update(h.id, { name: o.name, storageId, groupId });
          out(`host ${h.hostid} modified`);
        }
      }),
    );
}

/** `populate`. */
function populateCommand(program: Command, { global, out }: Cli): void {
  program
    .command('populate')
    .description('create hosts, plugins, sources and a default dashboard per host from every storage')
    .option('-i, --id <storages>', 'storage ids or names, or "all"', 'all')
    .option('-c, --concurrency <n>', 'hosts read and written at once (default [storage] populate_concurrency)', positiveInt)
    .action((o) =>
      withDeps(global(), async (deps) => {
        const logger = createLogger({ name: 'numeter-webapp', level: deps.config.logging.level, file: logFile(deps.config) });
        const progress = populateProgress(process.stdout, logger);
        const r = await populate(deps, await pickStorages(deps, o.id), {
          retry: retryPolicy(deps.config, deps.config.storage.populate_retry_deadline),
          concurrency: o.concurrency,
          onProgress: progress.onProgress,
        }).finally(progress.done);
        out(
          `hosts: ${r.hostsCreated} created, ${r.hostsUnchanged} unchanged; plugins: ${r.pluginsCreated}; sources: ${r.sourcesCreated}; views: ${r.viewsCreated}; multiviews: ${r.multiviewsCreated}`,
        );
        for (const f of r.failures) out(`failed: ${f}`);
        if (r.failures.length) process.exitCode = 1;
      }),
    );
}

/** `skeleton add`. */
function skeletonAdd(skeleton: Command, { global, out }: Cli): void {
  skeleton
    .command('add')
    .requiredOption('-n, --name <name>')
    .requiredOption('-p, --plugin-pattern <regex>')
    .option('-s, --source-pattern <regex>', 'data source pattern', '.')
    .option('-C, --comment <text>', 'comment', '')
    .option(
      '-P, --parts <json>',
      'more patterns, a JSON list of {"plugin_pattern", "source_pattern", "axis": "left"|"right", "fallback": bool}',
    )
    .option('--populate', 'populate builds this view on every host where the main pattern matches', false)
    .action((o) =>
      withDeps(global(), async (deps) => {
        const s = checked(
          SkeletonIn.safeParse({
            name: o.name,
            plugin_pattern: o.pluginPattern,
            source_pattern: o.sourcePattern,
            comment: o.comment,
            parts: o.parts === undefined ? undefined : parseJsonOption('--parts', o.parts),
            populate: o.populate,
          }),
        );
        const id = await deps.repos.skeletons.create({
          name: s.name,
          pluginPattern: s.plugin_pattern,
          sourcePattern: s.source_pattern,
          comment: s.comment,
          parts: s.parts.map(partIn),
          populate: s.populate,
        });
        out(`skeleton ${s.name} created (id ${id})`);
      }),
    );
}

/** `skeleton list`. */
function skeletonList(skeleton: Command, { global, out }: Cli): void {
  skeleton.command('list').action(() =>
    withDeps(global(), async (deps) => {
      out(
        table(
          ['ID', 'NAME', 'PATTERNS (PLUGIN/SOURCE)', 'POPULATE', 'COMMENT'],
          (await deps.repos.skeletons.all()).map((s) => [s.id, s.name, describePatterns(s), s.populate, s.comment]),
        ),
      );
    }),
  );
}

/** `skeleton del`. */
function skeletonDelete(skeleton: Command, { global, out }: Cli): void {
  skeleton
    .command('del')
    .requiredOption('-i, --id <ids>')
    .action((o) =>
      withDeps(global(), async (deps) => {
        for (const id of idList(o.id)) out((await deps.repos.skeletons.delete(id)) ? `skeleton ${id} deleted` : `no skeleton ${id}`);
      }),
    );
}

/** `skeleton create_view`. */
function skeletonCreateView(skeleton: Command, { global, out }: Cli): void {
  skeleton
    .command('create_view')
    .description('one view from a skeleton over one or more hosts')
    .requiredOption('-H, --host <hosts>', 'ids, host IDs or names, comma separated')
    .requiredOption('-s, --skeleton <skeleton>', 'id or name')
    .option('-n, --name <name>', 'view name (default: skeleton and host names)')
    .action((o) =>
      withDeps(global(), async (deps) => {
        const s = /^\d+$/.test(o.skeleton)
          ? await deps.repos.skeletons.get(Number(o.skeleton))
          : await deps.repos.skeletons.byName(o.skeleton);
        if (!s) throw new UsageError(`no skeleton "${o.skeleton}"`);
        const { viewId, sourceIds, rightAxis } = await createViewFromSkeleton(deps, s, await pickHosts(deps, o.host), { name: o.name });
        out(`view ${viewId} created with ${sourceIds.length} sources${rightAxis.length ? ` (${rightAxis.length} on the right axis)` : ''}`);
      }),
    );
}

/** `^power$/^watts$ + right:^system_load$/^load(1|5|15)$ | right:^load$/^load$` (`|` marks a fallback). */
function describePatterns(s: Skeleton): string {
  const parts = s.parts.map(
    (p) => `${p.fallback ? ' | ' : ' + '}${p.axis === 'right' ? 'right:' : ''}${p.pluginPattern}/${p.sourcePattern}`,
  );
  return `${s.pluginPattern}/${s.sourcePattern}${parts.join('')}`;
}

function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${option}: not JSON (${(error as Error).message})`);
  }
}
