import type { AppDeps } from './deps.js';
import { createHostsFromStorage } from './inventory-sync.js';
import type { Host, Storage } from './repos/index.js';
import { orderedSources } from './skeletons.js';
import { StorageError } from './storage-client/errors.js';

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
 * view per plugin, shared with the host's group. Running it again only adds what is new.
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
      const result = await createHostsFromStorage(deps, storage);
      report.hostsCreated += result.created.length;
      hosts = [...result.created, ...result.linked];
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      report.failures.push(error.message);
      continue;
    }
    for (const host of hosts) {
      try {
        await populateHost(deps, host, report);
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        report.failures.push(`${host.hostid}: ${error.message}`);
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
  const plugins = (await deps.repos.plugins.forHost(host.id)).filter((p) => p.name in list);
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
  if (dashboard) return;
  report.viewsCreated += viewIds.length;
  await deps.repos.multiviews.create({
    name: defaultMultiviewName(host),
    comment: `Default dashboard of ${host.hostid}`,
    views: viewIds,
    users: [],
    groups,
  });
  report.multiviewsCreated += 1;
}
