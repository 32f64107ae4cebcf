import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  encodeCursor,
  type PickerCursor,
  type PickerHost,
  type PickerPlugin,
  type PickerSource,
  type PickerView,
} from '../../../../common/schemas/index.js';
import { and, EVERYTHING, type Scope, searchScope } from './sql.js';

/**
 * The queries behind the host picker and the view editor's lazy source tree: each answers at most
 * `limit` rows (one more is read to tell `truncated`), so what a page loads depends on what it
 * shows, not on the size of the fleet. `scope` is the permission filter on hosts alias `h`.
 */
export interface Bounded<T> {
  results: T[];
  truncated: boolean;
}
/** A bounded answer that goes on from `next` (the `after` of the following page; null: no more). */
export interface Paged<T> extends Bounded<T> {
  next: string | null;
}

/** Hosts after `cursor` in the pickers' order (name, id): keyset paging on the `hosts_name` index. */
export function hostsAfter(cursor: PickerCursor | undefined, inclusive = false): Scope {
  if (!cursor) return EVERYTHING;
  const [name, id] = cursor.h;
  return { sql: `(h.name > ? OR (h.name = ? AND h.id ${inclusive ? '>=' : '>'} ?))`, params: [name, name, id] };
}

/** Every word must match one of the columns (words AND, columns OR). */
function everyWord(words: readonly string[], columns: string[]): Scope {
  return words.length ? and(...words.map((w) => searchScope(w, columns))) : EVERYTHING;
}

function bounded<T>(rows: T[], limit: number): Bounded<T> {
  return { results: rows.slice(0, limit), truncated: rows.length > limit };
}

export async function searchHosts(
  pool: Pool,
  scope: Scope,
  words: readonly string[],
  limit: number,
  after?: PickerCursor,
): Promise<Paged<PickerHost>> {
  const where = and(scope, everyWord(words, ['h.name', 'h.hostid']), hostsAfter(after));
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT h.id, h.name, h.hostid FROM hosts h WHERE ${where.sql} ORDER BY h.name, h.id LIMIT ?`,
    [...where.params, limit + 1],
  );
  const page = bounded(
    rows.map((r) => ({ id: r.id, name: r.name, hostid: r.hostid })),
    limit,
  );
  const last = page.results[page.results.length - 1];
  return { ...page, next: page.truncated && last ? encodeCursor({ h: [last.name, last.id] }) : null };
}

export async function pluginsOfHost(pool: Pool, hostId: number, limit: number): Promise<Bounded<PickerPlugin>> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT p.id, p.name FROM plugins p WHERE p.host_id = ? ORDER BY p.name LIMIT ?', [
    hostId,
    limit + 1,
  ]);
  return bounded(
    rows.map((r) => ({ id: r.id, name: r.name })),
    limit,
  );
}

const SOURCE_SELECT = `SELECT s.id, s.name, p.name AS plugin, h.name AS host, h.hostid
  FROM sources s JOIN plugins p ON p.id = s.plugin_id JOIN hosts h ON h.id = p.host_id`;

function toPickerSource(r: RowDataPacket): PickerSource {
  return { id: r.id, name: r.name, plugin: r.plugin, host: r.host, hostid: r.hostid, label: `${r.host} - ${r.plugin} - ${r.name}` };
}

export async function sourcesOfPlugin(pool: Pool, pluginId: number, limit: number): Promise<Bounded<PickerSource>> {
  const [rows] = await pool.query<RowDataPacket[]>(`${SOURCE_SELECT} WHERE s.plugin_id = ? ORDER BY s.name LIMIT ?`, [pluginId, limit + 1]);
  return bounded(rows.map(toPickerSource), limit);
}

/** The labels of given sources (a view being edited), among those the scope lets through. */
export async function sourcesById(pool: Pool, scope: Scope, ids: readonly number[]): Promise<PickerSource[]> {
  if (!ids.length) return [];
  const where = and(scope, { sql: 's.id IN (?)', params: [ids] });
  const [rows] = await pool.query<RowDataPacket[]>(`${SOURCE_SELECT} WHERE ${where.sql}`, where.params);
  return rows.map(toPickerSource);
}

/** The names of given views (a dashboard being edited), among those the scope lets through. */
export async function viewsById(pool: Pool, scope: Scope, ids: readonly number[]): Promise<PickerView[]> {
  if (!ids.length) return [];
  const where = and(scope, { sql: 'v.id IN (?)', params: [ids] });
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT v.id, v.name FROM views v WHERE ${where.sql}`, where.params);
  return rows.map((r) => ({ id: r.id, name: r.name }));
}
