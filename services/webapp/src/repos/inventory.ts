import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  affected,
  and,
  EVERYTHING,
  inList,
  insert,
  insertRows,
  type PageRequest,
  type PageResult,
  type Scope,
  searchScope,
  selectAll,
  selectPage,
  transaction,
  updateColumns,
} from './sql.js';

/** Hosts, their plugins and data sources: the webapp's copy of what the storages know. */
export interface Host {
  id: number;
  hostid: string;
  name: string;
  storageId: number | null;
  groupId: number | null;
}
export interface Plugin {
  id: number;
  hostId: number;
  name: string;
  comment: string;
}
export interface Source {
  id: number;
  pluginId: number;
  name: string;
  comment: string;
}
/** A source with the plugin and host it belongs to. */
export interface SourcePath {
  source: Source;
  plugin: Plugin;
  host: Host;
}

const HOST_COLUMNS = 'h.id, h.hostid, h.name, h.storage_id, h.group_id';
const toHost = (r: RowDataPacket): Host => ({ id: r.id, hostid: r.hostid, name: r.name, storageId: r.storage_id, groupId: r.group_id });
const PLUGIN_COLUMNS = 'p.id, p.host_id, p.name, p.comment';
const toPlugin = (r: RowDataPacket): Plugin => ({ id: r.id, hostId: r.host_id, name: r.name, comment: r.comment });
const SOURCE_COLUMNS = 's.id, s.plugin_id, s.name, s.comment';
const toSource = (r: RowDataPacket): Source => ({ id: r.id, pluginId: r.plugin_id, name: r.name, comment: r.comment });

export class HostRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Host | null> {
    return (await selectAll(this.pool, `SELECT ${HOST_COLUMNS} FROM hosts h WHERE h.id = ?`, [id], toHost))[0] ?? null;
  }
  async byHostid(hostid: string): Promise<Host | null> {
    return (await selectAll(this.pool, `SELECT ${HOST_COLUMNS} FROM hosts h WHERE h.hostid = ?`, [hostid], toHost))[0] ?? null;
  }
  /** `scope` is a permission filter on alias `h`. */
  all(scope: Scope = EVERYTHING): Promise<Host[]> {
    return selectAll(
      this.pool,
      `SELECT ${HOST_COLUMNS} FROM hosts h WHERE ${scope.sql} ORDER BY h.group_id, h.name, h.hostid`,
      scope.params,
      toHost,
    );
  }
  list(page: PageRequest, scope: Scope): Promise<PageResult<Host>> {
    return selectPage(
      this.pool,
      {
        columns: HOST_COLUMNS,
        from: 'hosts h',
        scope: and(scope, searchScope(page.q, ['h.name', 'h.hostid'])),
        order: 'h.group_id, h.name, h.hostid',
      },
      page,
      toHost,
    );
  }
  /** Every host by hostid (one query), for syncing a whole storage without a query per host. */
  async byHostidMap(): Promise<Map<string, Host>> {
    const rows = await selectAll(this.pool, `SELECT ${HOST_COLUMNS} FROM hosts h`, [], toHost);
    return new Map(rows.map((h) => [h.hostid, h]));
  }
  /**
   * What the webapp holds of every host of one storage: host id → plugin name → source names, in
   * one query (a host without plugins has an empty map), to tell which hosts a storage changed.
   */
  async inventoryOfStorage(storageId: number): Promise<Map<number, Map<string, Set<string>>>> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT h.id AS host_id, p.name AS plugin, s.name AS source FROM hosts h
       LEFT JOIN plugins p ON p.host_id = h.id LEFT JOIN sources s ON s.plugin_id = p.id WHERE h.storage_id = ?`,
      [storageId],
    );
    const out = new Map<number, Map<string, Set<string>>>();
    for (const r of rows) {
      const plugins = out.get(r.host_id) ?? new Map<string, Set<string>>();
      out.set(r.host_id, plugins);
      if (r.plugin === null) continue;
      const sources = plugins.get(r.plugin) ?? new Set<string>();
      plugins.set(r.plugin, sources);
      if (r.source !== null) sources.add(r.source);
    }
    return out;
  }
  byStorage(storageId: number): Promise<Host[]> {
    return selectAll(this.pool, `SELECT ${HOST_COLUMNS} FROM hosts h WHERE h.storage_id = ? ORDER BY h.name`, [storageId], toHost);
  }
  /** Creates the host, or re-links an existing one (same hostid) to this storage, as the original. */
  /** New hosts in one INSERT (fails whole on a duplicate host ID, as one row would). */
  async createMany(hosts: ReadonlyArray<Omit<Host, 'id'>>): Promise<Host[]> {
    const ids = await transaction(this.pool, (db) =>
      insertRows(
        db,
        'INSERT INTO hosts (hostid, name, storage_id, group_id)',
        hosts.map((h) => [h.hostid, h.name, h.storageId, h.groupId]),
      ),
    );
    return hosts.map((h, i) => ({ ...h, id: ids[i] }));
  }
  async upsert(hostid: string, name: string, storageId: number | null, groupId?: number | null): Promise<{ host: Host; created: boolean }> {
    const existing = await this.byHostid(hostid);
    if (existing) {
      if (existing.storageId !== storageId) await this.update(existing.id, { storageId });
      return { host: { ...existing, storageId }, created: false };
    }
    const id = await insert(this.pool, 'INSERT INTO hosts (hostid, name, storage_id, group_id) VALUES (?, ?, ?, ?)', [
      hostid,
      name,
      storageId,
      groupId ?? null,
    ]);
    return { host: { id, hostid, name, storageId, groupId: groupId ?? null }, created: true };
  }
  async update(id: number, patch: Partial<Pick<Host, 'name' | 'storageId' | 'groupId'>>): Promise<void> {
    const columns: Record<string, unknown> = { name: patch.name, storage_id: patch.storageId, group_id: patch.groupId };
    await updateColumns(this.pool, 'hosts', id, columns);
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM hosts WHERE id = ?', [id])) > 0;
  }
}

export class PluginRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Plugin | null> {
    return (await selectAll(this.pool, `SELECT ${PLUGIN_COLUMNS} FROM plugins p WHERE p.id = ?`, [id], toPlugin))[0] ?? null;
  }
  forHost(hostId: number): Promise<Plugin[]> {
    return selectAll(this.pool, `SELECT ${PLUGIN_COLUMNS} FROM plugins p WHERE p.host_id = ? ORDER BY p.name`, [hostId], toPlugin);
  }
  /** `scope` filters on host alias `h`. */
  list(page: PageRequest, scope: Scope): Promise<PageResult<Plugin>> {
    return selectPage(
      this.pool,
      {
        columns: PLUGIN_COLUMNS,
        from: 'plugins p JOIN hosts h ON h.id = p.host_id',
        scope: and(scope, searchScope(page.q, ['p.name'])),
        order: 'h.name, p.name',
      },
      page,
      toPlugin,
    );
  }
  /**
   * The plugins of many hosts, the missing ones created first (one INSERT, one SELECT for all):
   * every plugin of those hosts by host, and how many rows were created.
   */
  async ensureForHosts(namesByHost: ReadonlyMap<number, readonly string[]>): Promise<{ created: number; byHost: Map<number, Plugin[]> }> {
    const hostIds = [...namesByHost.keys()];
    const byHost = new Map<number, Plugin[]>(hostIds.map((id) => [id, []]));
    if (!hostIds.length) return { created: 0, byHost };
    const rows = [...namesByHost].flatMap(([hostId, names]) => [...new Set(names)].map((name) => [hostId, name, '']));
    let created = 0;
    if (rows.length) created = await affected(this.pool, 'INSERT IGNORE INTO plugins (host_id, name, comment) VALUES ?', [rows]);
    const plugins = await selectAll(
      this.pool,
      `SELECT ${PLUGIN_COLUMNS} FROM plugins p WHERE p.host_id IN (?) ORDER BY p.host_id, p.name`,
      [hostIds],
      toPlugin,
    );
    for (const plugin of plugins) byHost.get(plugin.hostId)?.push(plugin);
    return { created, byHost };
  }
  /** Creates the missing plugins among names (one INSERT for all); returns the rows created. */
  async ensure(hostId: number, names: readonly string[]): Promise<Plugin[]> {
    const existing = new Set((await this.forHost(hostId)).map((p) => p.name));
    const missing = [...new Set(names)].filter((name) => !existing.has(name));
    if (!missing.length) return [];
    await this.pool.query('INSERT IGNORE INTO plugins (host_id, name, comment) VALUES ?', [missing.map((name) => [hostId, name, ''])]);
    const wanted = new Set(missing);
    return (await this.forHost(hostId)).filter((p) => wanted.has(p.name));
  }
  async update(id: number, patch: { comment?: string }): Promise<void> {
    if (patch.comment !== undefined) await this.pool.query('UPDATE plugins SET comment = ? WHERE id = ?', [patch.comment, id]);
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM plugins WHERE id = ?', [id])) > 0;
  }
}

export class SourceRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Source | null> {
    return (await selectAll(this.pool, `SELECT ${SOURCE_COLUMNS} FROM sources s WHERE s.id = ?`, [id], toSource))[0] ?? null;
  }
  forPlugin(pluginId: number): Promise<Source[]> {
    return selectAll(this.pool, `SELECT ${SOURCE_COLUMNS} FROM sources s WHERE s.plugin_id = ? ORDER BY s.name`, [pluginId], toSource);
  }
  /** `scope` filters on host alias `h`. */
  list(page: PageRequest, scope: Scope): Promise<PageResult<Source>> {
    return selectPage(
      this.pool,
      {
        columns: SOURCE_COLUMNS,
        from: 'sources s JOIN plugins p ON p.id = s.plugin_id JOIN hosts h ON h.id = p.host_id',
        scope: and(scope, searchScope(page.q, ['s.name', 'p.name', 'h.name'])),
        order: 'h.name, p.name, s.name',
      },
      page,
      toSource,
    );
  }
  async ensure(pluginId: number, names: readonly string[]): Promise<Source[]> {
    return (await this.ensureMany(new Map([[pluginId, names]]))).created;
  }
  /**
   * Creates the missing sources of many plugins in one INSERT; returns the rows created and every
   * source of those plugins (pluginId → sources by name), so a caller needs no further query.
   */
  async ensureMany(namesByPlugin: ReadonlyMap<number, readonly string[]>): Promise<{ created: Source[]; all: Map<number, Source[]> }> {
    const pluginIds = [...namesByPlugin.keys()];
    if (!pluginIds.length) return { created: [], all: new Map() };
    const before = await this.forPlugins(pluginIds);
    const missing: [number, string, string][] = [];
    for (const [pluginId, names] of namesByPlugin) {
      const existing = new Set((before.get(pluginId) ?? []).map((s) => s.name));
      for (const name of new Set(names)) if (!existing.has(name)) missing.push([pluginId, name, '']);
    }
    if (!missing.length) return { created: [], all: before };
    await this.pool.query('INSERT IGNORE INTO sources (plugin_id, name, comment) VALUES ?', [missing]);
    await recordKinds(this.pool, [...new Set(missing.map(([pluginId]) => pluginId))]);
    const all = await this.forPlugins(pluginIds);
    const wanted = new Set(missing.map(([pluginId, name]) => `${pluginId}\u0000${name}`));
    const created = [...all.values()].flat().filter((s) => wanted.has(`${s.pluginId}\u0000${s.name}`));
    return { created, all };
  }
  /** Sources of many plugins at once, by name within each. */
  async forPlugins(pluginIds: readonly number[]): Promise<Map<number, Source[]>> {
    const out = new Map<number, Source[]>(pluginIds.map((id) => [id, []]));
    if (!pluginIds.length) return out;
    const rows = await selectAll(
      this.pool,
      `SELECT ${SOURCE_COLUMNS} FROM sources s WHERE s.plugin_id IN (?) ORDER BY s.plugin_id, s.name`,
      [pluginIds],
      toSource,
    );
    for (const source of rows) out.get(source.pluginId)?.push(source);
    return out;
  }
  /** Sources with their plugin and host, in the order of ids; unknown ids are left out. */
  async withPath(ids: readonly number[]): Promise<SourcePath[]> {
    if (!ids.length) return [];
    const scope = inList('s.id', ids);
    const rows = await selectAll(
      this.pool,
      `SELECT s.id AS s_id, s.plugin_id, s.name AS s_name, s.comment AS s_comment, p.host_id, p.name AS p_name, p.comment AS p_comment,
        h.hostid, h.name AS h_name, h.storage_id, h.group_id
       FROM sources s JOIN plugins p ON p.id = s.plugin_id JOIN hosts h ON h.id = p.host_id WHERE ${scope.sql}`,
      scope.params,
      (r): SourcePath => ({
        source: { id: r.s_id, pluginId: r.plugin_id, name: r.s_name, comment: r.s_comment },
        plugin: { id: r.plugin_id, hostId: r.host_id, name: r.p_name, comment: r.p_comment },
        host: { id: r.host_id, hostid: r.hostid, name: r.h_name, storageId: r.storage_id, groupId: r.group_id },
      }),
    );
    const byId = new Map(rows.map((p) => [p.source.id, p]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
  async update(id: number, patch: { comment?: string }): Promise<void> {
    if (patch.comment !== undefined) await this.pool.query('UPDATE sources SET comment = ? WHERE id = ?', [patch.comment, id]);
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM sources WHERE id = ?', [id])) > 0;
  }
}

/**
 * Adds the (plugin, source) names of these plugins' sources to `source_kinds`, the source search's
 * dictionary (repos/source-search.ts). Sorted, so concurrent populates lock rows in one order.
 */
async function recordKinds(db: Pool, pluginIds: readonly number[]): Promise<void> {
  if (!pluginIds.length) return;
  // A plain SELECT, then the INSERT: INSERT ... SELECT would lock the rows it reads, against
  // the concurrent inserts of a populate.
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT DISTINCT p.name AS plugin, s.name FROM sources s JOIN plugins p ON p.id = s.plugin_id WHERE s.plugin_id IN (?) ORDER BY p.name, s.name',
    [pluginIds],
  );
  if (rows.length) await db.query('INSERT IGNORE INTO source_kinds (plugin, name) VALUES ?', [rows.map((r) => [r.plugin, r.name])]);
}
