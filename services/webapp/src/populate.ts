import type { LegacyPluginInfo } from '../../../common/schemas/index.js';
import type { AppDeps } from './deps.js';
import { createHostsFromStorage } from './inventory-sync.js';
import type { Host, Skeleton, Storage } from './repos/index.js';
import type { NewView } from './repos/views.js';
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
 * Hosts are read `concurrency` at a time. Running it again only writes what is new: the storage
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
    const [inventory, dashboards] = await Promise.all([deps.repos.hosts.inventoryOfStorage(storage.id), deps.repos.multiviews.names()]);
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
    await forEachBounded(hosts, options.concurrency ?? deps.config.storage.populate_concurrency, async (host) => {
      try {
        if (await syncHost(run, host)) progress.hostsUnchanged++;
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        progress.hostsFailed++;
        report.failures.push(`${host.hostid}: ${describeStorageError(error)}`);
      }
      progress.hostsDone++;
      progress.retried = deps.storages.counters.retried;
      progress.elapsedMs = now() - started;
      options.onProgress?.({ ...progress });
    });
    report.hostsUnchanged += progress.hostsUnchanged;
  }
  return report;
}

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

/** One host: its `/list`, then only the writes it needs. True when nothing had to be written. */
async function syncHost(run: StorageRun, host: Host): Promise<boolean> {
  const list = await run.client.getPluginList(host.hostid);
  const hasDashboard = run.dashboards.has(defaultMultiviewName(host));
  if (!run.created.has(host.id) && hasDashboard && holdsEverything(run.inventory.get(host.id), list)) return true;
  await populateHost(run, host, list, hasDashboard);
  return false;
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

async function populateHost(run: StorageRun, host: Host, list: Record<string, LegacyPluginInfo>, hasDashboard: boolean): Promise<void> {
  const { deps, report } = run;
  // Awaited before adding: `report.x += await …` would read report.x before other hosts' writes.
  const newPlugins = await deps.repos.plugins.ensure(host.id, Object.keys(list));
  report.pluginsCreated += newPlugins.length;
  const plugins = (await deps.repos.plugins.forHost(host.id)).filter((p) => Object.hasOwn(list, p.name));
  const dsNames = new Map(plugins.map((p) => [p.id, orderedSources(list[p.name])]));
  const sources = await deps.repos.sources.ensureMany(dsNames);
  report.sourcesCreated += sources.created.length;
  const groups = host.groupId === null ? [] : [host.groupId];
  const views: NewView[] = [];
  if (!hasDashboard)
    for (const plugin of plugins) {
      const info = list[plugin.name];
      const byName = new Map((sources.all.get(plugin.id) ?? []).map((s) => [s.name, s.id]));
      views.push({
        name: `${host.name} - ${info.Title || plugin.name}`.slice(0, 250),
        comment: info.Describ ?? '',
        warning: null,
        critical: null,
        sources: (dsNames.get(plugin.id) ?? []).flatMap((ds) => byName.get(ds) ?? []),
        rightAxis: [],
        users: [],
        groups,
      });
    }
  const viewIds = await deps.repos.views.createMany(views);
  report.viewsCreated += viewIds.length;
  const skeletonViews = await populateSkeletonViews(run, host, list, groups);
  report.viewsCreated += skeletonViews.length;
  if (hasDashboard) {
    const dashboard = await deps.repos.multiviews.byName(defaultMultiviewName(host));
    if (dashboard && skeletonViews.length)
      await deps.repos.multiviews.update(dashboard.id, { views: [...dashboard.views, ...skeletonViews] });
    return;
  }
  await deps.repos.multiviews.create({
    name: defaultMultiviewName(host),
    comment: `Default dashboard of ${host.hostid}`,
    views: [...viewIds, ...skeletonViews],
    users: [],
    groups,
  });
  run.dashboards.add(defaultMultiviewName(host));
  report.multiviewsCreated += 1;
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
