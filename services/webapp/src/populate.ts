import type { LegacyPluginInfo } from '../../../common/schemas/index.js';
import type { AppDeps } from './deps.js';
import { createHostsFromStorage } from './inventory-sync.js';
import type { Host, Storage } from './repos/index.js';
import { createViewFromSelections, type HostSelection, orderedSources, SkeletonPatternError, selectSources } from './skeletons.js';
import { describeStorageError, StorageError } from './storage-client/errors.js';

export interface PopulateReport {
  hostsCreated: number;
  pluginsCreated: number;
  sourcesCreated: number;
  viewsCreated: number;
  multiviewsCreated: number;
  /** Storages or hosts that could not be read; the others are populated anyway. */
  failures: string[];
}

/**
 * `numeter-webapp populate`: for every storage (or the given ones) create its hosts, their plugins
 * and data sources, and a default dashboard per host — a multiview named after the host with one
 * view per plugin, shared with the host's group, plus the views of the skeletons marked `populate` on
 * the hosts they match (e.g. power and load where a PDU publishes `power`). A new host whose storage
 * info names a group (Munin's `[group;host]`) joins that webapp group. Running it again only adds
 * what is new.
 */
export async function populate(deps: AppDeps, storages?: Storage[]): Promise<PopulateReport> {
  const report: PopulateReport = {
    hostsCreated: 0,
    pluginsCreated: 0,
    sourcesCreated: 0,
    viewsCreated: 0,
    multiviewsCreated: 0,
    failures: [],
  };
  for (const storage of storages ?? (await deps.repos.storages.all())) {
    let hosts: Host[];
    try {
      const result = await createHostsFromStorage(deps, storage, [], { groupsFromStorage: true });
      report.hostsCreated += result.created.length;
      hosts = [...result.created, ...result.linked];
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      report.failures.push(describeStorageError(error));
      continue;
    }
    for (const host of hosts) {
      try {
        await populateHost(deps, host, report);
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        report.failures.push(`${host.hostid}: ${describeStorageError(error)}`);
      }
    }
  }
  return report;
}

export function defaultMultiviewName(host: Host): string {
  return `${host.name} (${host.hostid})`.slice(0, 300);
}

async function populateHost(deps: AppDeps, host: Host, report: PopulateReport): Promise<void> {
  const list = await deps.storages.getPluginList(host);
  report.pluginsCreated += (await deps.repos.plugins.ensure(host.id, Object.keys(list))).length;
  const plugins = (await deps.repos.plugins.forHost(host.id)).filter((p) => Object.hasOwn(list, p.name));
  const viewIds: number[] = [];
  const groups = host.groupId === null ? [] : [host.groupId];
  const dashboard = await deps.repos.multiviews.byName(defaultMultiviewName(host));
  for (const plugin of plugins) {
    const info = list[plugin.name];
    const dsNames = orderedSources(info);
    report.sourcesCreated += (await deps.repos.sources.ensure(plugin.id, dsNames)).length;
    if (dashboard) continue;
    const byName = new Map((await deps.repos.sources.forPlugin(plugin.id)).map((s) => [s.name, s.id]));
    viewIds.push(
      await deps.repos.views.create({
        name: `${host.name} - ${info.Title || plugin.name}`.slice(0, 250),
        comment: info.Describ ?? '',
        warning: null,
        critical: null,
        sources: dsNames.map((ds) => byName.get(ds)!),
        rightAxis: [],
        users: [],
        groups,
      }),
    );
  }
  report.viewsCreated += viewIds.length;
  const skeletonViews = await populateSkeletonViews(deps, host, list, groups);
  report.viewsCreated += skeletonViews.length;
  if (dashboard) {
    if (skeletonViews.length) await deps.repos.multiviews.update(dashboard.id, { views: [...dashboard.views, ...skeletonViews] });
    return;
  }
  await deps.repos.multiviews.create({
    name: defaultMultiviewName(host),
    comment: `Default dashboard of ${host.hostid}`,
    views: [...viewIds, ...skeletonViews],
    users: [],
    groups,
  });
  report.multiviewsCreated += 1;
}

/**
 * The views of the `populate` skeletons (e.g. power and load) on a host where their main pattern
 * matches, once per skeleton and host: a view someone deleted is not built again.
 */
async function populateSkeletonViews(
  deps: AppDeps,
  host: Host,
  list: Record<string, LegacyPluginInfo>,
  groups: number[],
): Promise<number[]> {
  const viewIds: number[] = [];
  for (const skeleton of await deps.repos.skeletons.forPopulate()) {
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
