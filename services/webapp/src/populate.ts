import { type LegacyPluginInfo, MAX_HOSTS_PER_LISTS } from '../../../common/schemas/index.js';
import type { AppDeps } from './deps.js';
import { createHostsFromStorage } from './inventory-sync.js';
import type { Host, Plugin, Skeleton, Source, Storage } from './repos/index.js';
import type { NewMultiview, NewView } from './repos/views.js';
import { createViewFromSelections, type HostSelection, orderedSources, SkeletonPatternError, selectSources } from './skeletons.js';
import type { StorageClient } from './storage-client/client.js';
import { describeStorageError, StorageError } from './storage-client/errors.js';
import type { RetryPolicy } from './storage-client/retry.js';

export interface PopulateReport {
  hostsCreated: number;
  pluginsCreated: number;
  sourcesCreated: number;
  viewsCreated: number;
  multiviewsCreated: number;
  /** Hosts whose storage list matched what the webapp holds: nothing was written for them. */
  hostsUnchanged: number;
  /** Storages or hosts that could not be read; the others are populated anyway. */
  failures: string[];
}

/** Where a run is, after each host: what the progress line and the log show. */
export interface PopulateProgress {
  storage: string;
  hostsTotal: number;
  hostsDone: number;
  hostsUnchanged: number;
  hostsFailed: number;
  /** 429/503 answers waited out so far (every storage). */
  retried: number;
  elapsedMs: number;
}

export interface PopulateOptions {
  /** Hosts of one `/lists` request and of one batch of writes (default and at most MAX_HOSTS_PER_LISTS). */
  hostsPerBatch?: number;
  /** Hosts read and written at once; default `[storage] populate_concurrency`. */
  concurrency?: number;
  /** How 429/503 answers are waited out; default the gateway's (pages') policy. */
  retry?: RetryPolicy;
  onProgress?: (progress: PopulateProgress) => void;
  /** Milliseconds clock for the elapsed time of the progress. */
  now?: () => number;
}

/** What one storage's run shares between its hosts: read once, not per host. */
interface StorageRun {
  deps: AppDeps;
  client: StorageClient;
  report: PopulateReport;
  /** host id → plugin → source names, as the webapp holds them before the run. */
  inventory: Map<number, Map<string, Set<string>>>;
  dashboards: Set<string>;
  skeletons: Skeleton[];
  created: Set<number>;
}

/**
 * `numeter-webapp populate`: for every storage (or the given ones) create its hosts, their plugins
 * and data sources, and a default dashboard per host — a multiview named after the host with one
 * view per plugin, shared with the host's group, plus the views of the skeletons marked `populate` on
 * the hosts they match (e.g. power and load where a PDU publishes `power`). A new host whose storage
 * info names a group (Munin's `[group;host]`) joins that webapp group.
 *
 * Hosts are read `concurrency` at a time, in batches of MAX_HOSTS_PER_LISTS (one `/lists` request each)
 * whose writes go to the database together (a few statements per batch). Running it again only writes what is new: the storage
 * has no change time for its plugin infos, so each host's `/list` is read again, compared with
 * what the webapp holds (one query per storage), and a host whose plugins, sources and default
 * dashboard are all there is left alone (a skeleton marked `populate` later reaches such a host
 * when it changes, or with `skeleton create_view`).
 */
export async function populate(deps: AppDeps, storages?: Storage[], options: PopulateOptions = {}): Promise<PopulateReport> {
  const report: PopulateReport = {
    hostsCreated: 0,
    pluginsCreated: 0,
    sourcesCreated: 0,
    viewsCreated: 0,
    multiviewsCreated: 0,
    hostsUnchanged: 0,
    failures: [],
  };
  const now = options.now ?? (() => deps.now().getTime());
  const started = now();
  const skeletons = await deps.repos.skeletons.forPopulate();
  for (const storage of storages ?? (await deps.repos.storages.all())) {
    const client = deps.storages.clientFor(storage, options.retry);
    let hosts: Host[];
    const created = new Set<number>();
    // Read while the storage answers `/hosts` (2.3 s and 1.2 s at 10,000 hosts under load). A host
    // linked to this storage by this run is then missing from it: it is rewritten, which adds
    // only what it lacks.
    const held = Promise.all([deps.repos.hosts.inventoryOfStorage(storage.id), deps.repos.multiviews.names()]);
    held.catch(() => {}); // awaited below; a storage failure must not leave it unhandled
    try {
      const result = await createHostsFromStorage(deps, storage, [], { groupsFromStorage: true, client });
      report.hostsCreated += result.created.length;
      for (const h of result.created) created.add(h.id);
      hosts = [...result.created, ...result.linked];
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      report.failures.push(describeStorageError(error));
      continue;
    }
    const [inventory, dashboards] = await held;
    const run: StorageRun = { deps, client, report, inventory, dashboards, skeletons, created };
    const progress: PopulateProgress = {
      storage: storage.name,
      hostsTotal: hosts.length,
      hostsDone: 0,
      hostsUnchanged: 0,
      hostsFailed: 0,
      retried: 0,
      elapsedMs: 0,
    };
    const concurrency = options.concurrency ?? deps.config.storage.populate_concurrency;
    const perBatch = Math.max(1, Math.min(options.hostsPerBatch ?? MAX_HOSTS_PER_LISTS, MAX_HOSTS_PER_LISTS));
    const batches: Host[][] = [];
    for (let at = 0; at < hosts.length; at += perBatch) batches.push(hosts.slice(at, at + perBatch));
    // The storage's answers are most of a run (a `/lists` of 200 hosts took 0.6 s at 10,000 hosts
    // under load): LISTS_IN_FLIGHT batches are read at once, their writes go one batch after another.
    let written: Promise<void> = Promise.resolve();
    await forEachBounded(batches, LISTS_IN_FLIGHT, async (batch) => {
      const changed = await readLists(run, batch, concurrency, progress);
      written = written.then(async () => {
        await populateHosts(run, changed);
        for (const _ of batch) {
          progress.hostsDone++;
          progress.retried = deps.storages.counters.retried;
          progress.elapsedMs = now() - started;
          options.onProgress?.({ ...progress });
        }
      });
      await written;
    });
    report.hostsUnchanged += progress.hostsUnchanged;
  }
  return report;
}

/** Batches whose `/lists` are asked at once (each up to MAX_HOSTS_PER_LISTS hosts). */
const LISTS_IN_FLIGHT = 3;

export function defaultMultiviewName(host: Host): string {
  return `${host.name} (${host.hostid})`.slice(0, 300);
}

/**
 * Runs `fn` over items, at most `limit` at once. A failure other than those `fn` handles stops
 * handing out items; the first one is thrown once the running ones are done.
 */
async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

/** A host whose storage list holds something the webapp does not: what populateHosts writes. */
interface ChangedHost {
  host: Host;
  list: Record<string, LegacyPluginInfo>;
  hasDashboard: boolean;
}

/**
 * The `/list` of each host of a batch: one `/lists` request for the batch, or, from a storage
 * without it (or refusing it), one `/list` per host `concurrency` at a time. The unchanged hosts
 * (everything already held) and the failed ones are counted in `progress`, the others returned.
 */
async function readLists(run: StorageRun, batch: Host[], concurrency: number, progress: PopulateProgress): Promise<ChangedHost[]> {
  const changed: ChangedHost[] = [];
  const take = (host: Host, list: Record<string, LegacyPluginInfo>) => {
    const hasDashboard = run.dashboards.has(defaultMultiviewName(host));
    if (!run.created.has(host.id) && hasDashboard && holdsEverything(run.inventory.get(host.id), list)) progress.hostsUnchanged++;
    else changed.push({ host, list, hasDashboard });
  };
  const fail = (host: Host, why: string) => {
    progress.hostsFailed++;
    run.report.failures.push(`${host.hostid}: ${why}`);
  };
  const lists = await run.client.getPluginLists(batch.map((h) => h.hostid)).catch((error: unknown) => {
    if (error instanceof StorageError) return null;
    throw error;
  });
  if (lists) {
    for (const host of batch)
      if (Object.hasOwn(lists, host.hostid)) take(host, lists[host.hostid]);
      else fail(host, 'the storage no longer lists this host');
    return changed;
  }
  await forEachBounded(batch, concurrency, async (host) => {
    try {
      take(host, await run.client.getPluginList(host.hostid));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      fail(host, describeStorageError(error));
    }
  });
  return changed;
}

/** Whether the webapp already has every plugin and data source of the storage's list. */
function holdsEverything(held: Map<string, Set<string>> | undefined, list: Record<string, LegacyPluginInfo>): boolean {
  if (!held) return false;
  for (const [plugin, info] of Object.entries(list)) {
    const sources = held.get(plugin);
    if (!sources) return false;
    for (const ds of Object.keys(info.Infos)) if (!sources.has(ds)) return false;
  }
  return true;
}

/**
 * The writes of a batch of hosts together: their plugins, their sources, their default views
 * and their dashboards each in one statement or transaction for the whole batch (a query per
 * host and plugin made 10,000 hosts take minutes); the skeleton views host by host.
 */
async function populateHosts(run: StorageRun, hosts: ChangedHost[]): Promise<void> {
  if (!hosts.length) return;
  const { deps, report } = run;
  const plugins = await deps.repos.plugins.ensureForHosts(new Map(hosts.map((h) => [h.host.id, Object.keys(h.list)])));
  report.pluginsCreated += plugins.created;
  const pluginsOf = new Map<number, Plugin[]>();
  const dsNames = new Map<number, string[]>();
  for (const { host, list } of hosts) {
    const held = (plugins.byHost.get(host.id) ?? []).filter((p) => Object.hasOwn(list, p.name));
    pluginsOf.set(host.id, held);
    for (const p of held) dsNames.set(p.id, orderedSources(list[p.name]));
  }
  const sources = await deps.repos.sources.ensureMany(dsNames);
  report.sourcesCreated += sources.created.length;
  const views: NewView[] = [];
  const viewsOf = new Map<number, { from: number; to: number }>();
  for (const { host, list, hasDashboard } of hosts) {
    if (hasDashboard) continue;
    const from = views.length;
    for (const plugin of pluginsOf.get(host.id) ?? []) views.push(defaultView(host, plugin, list[plugin.name], dsNames, sources.all));
    viewsOf.set(host.id, { from, to: views.length });
  }
  const viewIds = await deps.repos.views.createMany(views);
  report.viewsCreated += viewIds.length;
  const dashboards: NewMultiview[] = [];
  for (const { host, list, hasDashboard } of hosts) {
    const groups = host.groupId === null ? [] : [host.groupId];
    const skeletonViews = await populateSkeletonViews(run, host, list, groups);
    report.viewsCreated += skeletonViews.length;
    if (hasDashboard) {
      const dashboard = await deps.repos.multiviews.byName(defaultMultiviewName(host));
      if (dashboard && skeletonViews.length)
        await deps.repos.multiviews.update(dashboard.id, { views: [...dashboard.views, ...skeletonViews] });
      continue;
    }
    const range = viewsOf.get(host.id) ?? { from: 0, to: 0 };
    dashboards.push({
      name: defaultMultiviewName(host),
      comment: `Default dashboard of ${host.hostid}`,
      views: [...viewIds.slice(range.from, range.to), ...skeletonViews],
      users: [],
      groups,
    });
  }
  await deps.repos.multiviews.createMany(dashboards);
  for (const d of dashboards) run.dashboards.add(d.name);
  report.multiviewsCreated += dashboards.length;
}

/** A host's default view of one plugin: its sources in the plugin's order, shared with the host's group. */
function defaultView(
  host: Host,
  plugin: Plugin,
  info: LegacyPluginInfo,
  dsNames: Map<number, string[]>,
  sources: Map<number, Source[]>,
): NewView {
  const byName = new Map((sources.get(plugin.id) ?? []).map((s) => [s.name, s.id]));
  return {
    name: `${host.name} - ${info.Title || plugin.name}`.slice(0, 250),
    comment: info.Describ ?? '',
    warning: null,
    critical: null,
    sources: (dsNames.get(plugin.id) ?? []).flatMap((ds) => byName.get(ds) ?? []),
    rightAxis: [],
    users: [],
    groups: host.groupId === null ? [] : [host.groupId],
  };
}

/**
 * The views of the `populate` skeletons (e.g. power and load) on a host where their main pattern
 * matches, once per skeleton and host: a view someone deleted is not built again.
 */
async function populateSkeletonViews(
  run: StorageRun,
  host: Host,
  list: Record<string, LegacyPluginInfo>,
  groups: number[],
): Promise<number[]> {
  const { deps } = run;
  const viewIds: number[] = [];
  for (const skeleton of run.skeletons) {
    let selection: HostSelection;
    try {
      selection = selectSources(skeleton, list);
    } catch (error) {
      if (!(error instanceof SkeletonPatternError)) throw error;
      deps.logger.warn({ skeleton: skeleton.name, err: error }, 'populate skips a skeleton with a bad pattern');
      continue;
    }
    if (!selection.mainMatched || (await deps.repos.skeletons.builtFor(skeleton.id, host.id))) continue;
    const { viewId } = await createViewFromSelections(deps, skeleton, [{ host, selection }], {
      name: `${host.name} - ${skeleton.comment || skeleton.name}`,
      groups,
    });
    await deps.repos.skeletons.recordBuilt(skeleton.id, host.id, viewId);
    viewIds.push(viewId);
  }
  return viewIds;
}
