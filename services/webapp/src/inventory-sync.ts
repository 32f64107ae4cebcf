import type { LegacyPluginInfo } from '../../../common/schemas/index.js';
import type { AppDeps } from './deps.js';
import type { Host, Plugin, Source, Storage } from './repos/index.js';
import type { StorageClient } from './storage-client/client.js';

/**
 * Copies what storages know into the webapp's tables, as the original's "create hosts / create
 * plugins / create sources" actions: an empty name list means everything the storage has.
 * Names come from clients: only the storage answer's own keys count (`constructor` or
 * `__proto__` are not plugins just because every object inherits them).
 */

/** The longest group name the webapp keeps (usergroups.name, GroupIn). */
const MAX_GROUP_NAME = 80;

/**
 * Hosts of one storage (`/hosts`); an existing host with the same ID is re-linked to it. With
 * `groupsFromStorage`, a new host whose info names a group (a Munin group of a centrally polled
 * node) joins the webapp group of that name, created when missing; existing hosts keep theirs.
 */
export async function createHostsFromStorage(
  deps: AppDeps,
  storage: Storage,
  hostids: readonly string[] = [],
  options: { groupsFromStorage?: boolean; client?: StorageClient } = {},
): Promise<{ created: Host[]; linked: Host[] }> {
  const known = await (options.client ?? deps.storages.clientFor(storage)).getHosts();
  const wanted = hostids.length ? hostids.filter((id) => Object.hasOwn(known, id)) : Object.keys(known);
  // One query for every host the webapp has, instead of one per host of the storage.
  const existing = await deps.repos.hosts.byHostidMap();
  const created: Host[] = [];
  const linked: Host[] = [];
  const groupIds = new Map<string, number>();
  const fresh: Array<Omit<Host, 'id'>> = [];
  for (const hostid of wanted) {
    const host = existing.get(hostid);
    if (host) {
      if (host.storageId !== storage.id) await deps.repos.hosts.update(host.id, { storageId: storage.id });
      linked.push({ ...host, storageId: storage.id });
      continue;
    }
    const groupName = options.groupsFromStorage ? usableGroupName(known[hostid].Group) : undefined;
    const groupId = groupName === undefined ? null : await groupIdFor(deps, groupName, groupIds);
    fresh.push({ hostid, name: known[hostid].Name || hostid, storageId: storage.id, groupId });
  }
  for (let at = 0; at < fresh.length; at += HOSTS_PER_INSERT) {
    const batch = fresh.slice(at, at + HOSTS_PER_INSERT);
    try {
      created.push(...(await deps.repos.hosts.createMany(batch)));
    } catch (error) {
      // Another run created some of them meanwhile: host by host, linking those.
      if ((error as { code?: string }).code !== 'ER_DUP_ENTRY') throw error;
      for (const h of batch) {
        const result = await deps.repos.hosts.upsert(h.hostid, h.name, h.storageId, h.groupId);
        (result.created ? created : linked).push(result.host);
      }
    }
  }
  return { created, linked };
}

/** New hosts written by one INSERT each (10,000 hosts one by one took a minute under load). */
const HOSTS_PER_INSERT = 1000;

/** A group name from a storage, trimmed; none when empty or longer than the webapp keeps. */
function usableGroupName(name: string | undefined): string | undefined {
  const trimmed = name?.trim();
  return trimmed && trimmed.length <= MAX_GROUP_NAME ? trimmed : undefined;
}

async function groupIdFor(deps: AppDeps, name: string, cache: Map<string, number>): Promise<number> {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const id = (await deps.repos.groups.byName(name))?.id ?? (await deps.repos.groups.create(name));
  cache.set(name, id);
  return id;
}

/** Plugins of one host (`/list`); returns the created rows and the storage's list for reuse. */
export async function createPluginsFromStorage(
  deps: AppDeps,
  host: Host,
  names: readonly string[] = [],
): Promise<{ created: Plugin[]; list: Record<string, LegacyPluginInfo> }> {
  const list = await deps.storages.getPluginList(host);
  const wanted = names.length ? names.filter((n) => Object.hasOwn(list, n)) : Object.keys(list);
  return { created: await deps.repos.plugins.ensure(host.id, wanted), list };
}

/** Data sources of one plugin (the `Infos` keys of its storage info). */
export async function createSourcesFromStorage(
  deps: AppDeps,
  host: Host,
  plugin: Plugin,
  names: readonly string[] = [],
  info?: LegacyPluginInfo,
): Promise<Source[]> {
  const infos = (info ?? (await deps.storages.getPluginInfo(host, plugin.name))).Infos;
  const wanted = names.length ? names.filter((n) => Object.hasOwn(infos, n)) : Object.keys(infos);
  return deps.repos.sources.ensure(plugin.id, wanted);
}
