import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/** A WHERE fragment and its parameters; permission scopes and searches are built from these. */
export interface Scope {
  sql: string;
  params: unknown[];
}
export const EVERYTHING: Scope = { sql: '1=1', params: [] };
export const NOTHING: Scope = { sql: '1=0', params: [] };

export interface PageRequest {
  page: number;
  pageSize: number;
  q: string;
  /** `?id=1,2,3`: only these objects (every list applies it, see `selectPage`). */
  ids?: readonly number[];
}
export interface PageResult<T> {
  count: number;
  rows: T[];
}

export type Db = Pool | PoolConnection;

/** `%q%` with LIKE wildcards in q taken literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `q%`: names starting with q (an index range on the column), wildcards in q taken literally. */
export function prefixPattern(q: string): string {
  return `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function and(...scopes: Scope[]): Scope {
  return { sql: scopes.map((s) => `(${s.sql})`).join(' AND '), params: scopes.flatMap((s) => s.params) };
}

export function searchScope(q: string, columns: string[]): Scope {
  if (!q) return EVERYTHING;
  return { sql: columns.map((c) => `${c} LIKE ?`).join(' OR '), params: columns.map(() => likePattern(q)) };
}

export function inList(column: string, ids: readonly number[]): Scope {
  if (ids.length === 0) return NOTHING;
  return { sql: `${column} IN (${ids.map(() => '?').join(',')})`, params: [...ids] };
}

/**
 * One page of `SELECT <columns> FROM <from> WHERE scope ORDER BY order`, and the total count.
 * `page.ids` keeps only those ids: the primary key of the first table of `from` (its alias if any).
 */
export async function selectPage<T>(
  db: Db,
  select: { columns: string; from: string; scope: Scope; order: string },
  page: PageRequest,
  map: (row: RowDataPacket) => T,
): Promise<PageResult<T>> {
  const query = page.ids ? { ...select, scope: and(select.scope, inList(`${firstTableAlias(select.from)}.id`, page.ids)) } : select;
  const [[{ n }]] = await db.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${query.from} WHERE ${query.scope.sql}`, query.scope.params);
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT ${query.columns} FROM ${query.from} WHERE ${query.scope.sql} ORDER BY ${query.order} LIMIT ? OFFSET ?`,
    [...query.scope.params, page.pageSize, (page.page - 1) * page.pageSize],
  );
  return { count: Number(n), rows: rows.map(map) };
}

/** `selectPage` for repositories that complete each page's rows with further queries (links, parts). */
export async function selectHydratedPage<T>(
  db: Db,
  select: { columns: string; from: string; scope: Scope; order: string },
  page: PageRequest,
  hydrate: (rows: RowDataPacket[]) => Promise<T[]>,
): Promise<PageResult<T>> {
  const result = await selectPage(db, select, page, (row) => row);
  return { count: result.count, rows: await hydrate(result.rows) };
}

/** `hosts h JOIN ...` → `h`; `storages` → `storages`. */
function firstTableAlias(from: string): string {
  const [table, alias] = from.trim().split(/\s+/);
  return alias && alias.toUpperCase() !== 'JOIN' ? alias : table;
}

export async function selectAll<T>(db: Db, sql: string, params: unknown[], map: (row: RowDataPacket) => T): Promise<T[]> {
  const [rows] = await db.query<RowDataPacket[]>(sql, params);
  return rows.map(map);
}

export async function insert(db: Db, sql: string, params: unknown[]): Promise<number> {
  const [result] = await db.query<ResultSetHeader>(sql, params);
  return result.insertId;
}

/**
 * `UPDATE <table> SET col = ?, ... WHERE id = ?` for the columns whose value is defined.
 * Table and column names come from the repositories' own code, never from a request;
 * values are always bound parameters. Does nothing when no column is set.
 */
export async function updateColumns(db: Db, table: string, id: number, columns: Record<string, unknown>): Promise<void> {
  const set = Object.entries(columns).filter(([, value]) => value !== undefined);
  if (!set.length) return;
  await db.query(`UPDATE ${table} SET ${set.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ?`, [
    ...set.map(([, value]) => value),
    id,
  ]);
}

export async function affected(db: Db, sql: string, params: unknown[]): Promise<number> {
  const [result] = await db.query<ResultSetHeader>(sql, params);
  return result.affectedRows;
}

/** Replaces the link rows `(owner, target)` of one owner; `position` keeps the given order when the table has it. */
export async function replaceLinks(
  db: Db,
  link: { table: string; owner: string; target: string; ordered?: boolean },
  ownerId: number,
  targetIds: readonly number[],
  extra?: (targetId: number) => { column: string; value: unknown },
): Promise<void> {
  await db.query(`DELETE FROM ${link.table} WHERE ${link.owner} = ?`, [ownerId]);
  await insertLinks(db, link, ownerId, targetIds, extra);
}

/**
 * One multi-row INSERT of `rows` into an AUTO_INCREMENT table, returning the ids in row order.
 * InnoDB hands one such statement consecutive ids when innodb_autoinc_lock_mode is 0 or 1
 * (MariaDB's default); with 2 (interleaved) they may not be, and each row is inserted alone.
 */
export async function insertRows(db: Db, sql: string, rows: unknown[][]): Promise<number[]> {
  if (rows.length === 0) return [];
  const [[mode]] = await db.query<RowDataPacket[]>('SELECT @@innodb_autoinc_lock_mode AS m');
  if (Number(mode.m) <= 1) {
    const [result] = await db.query<ResultSetHeader>(`${sql} VALUES ?`, [rows]);
    if (result.affectedRows === rows.length) return rows.map((_, i) => result.insertId + i);
    throw new Error(`insertRows: ${result.affectedRows} rows inserted of ${rows.length}`);
  }
  const ids: number[] = [];
  for (const row of rows) ids.push(await insert(db, `${sql} VALUES (?)`, [row]));
  return ids;
}

/** The link rows of many new owners in one INSERT (insertLinks for each, together). */
export async function insertLinksMany(
  db: Db,
  link: { table: string; owner: string; target: string; ordered?: boolean },
  owners: ReadonlyArray<{ ownerId: number; targetIds: readonly number[] }>,
): Promise<void> {
  const rows = owners.flatMap(({ ownerId, targetIds }) =>
    [...new Set(targetIds)].map((t, i) => [ownerId, t, ...(link.ordered ? [i] : [])]),
  );
  if (rows.length === 0) return;
  const columns = [link.owner, link.target, ...(link.ordered ? ['position'] : [])];
  await db.query(`INSERT INTO ${link.table} (${columns.join(', ')}) VALUES ?`, [rows]);
}

/**
 * The link rows of a new owner, without replaceLinks' DELETE: on a row just inserted there is
 * nothing to delete, and that DELETE's gap locks deadlock concurrent creations (populate).
 */
export async function insertLinks(
  db: Db,
  link: { table: string; owner: string; target: string; ordered?: boolean },
  ownerId: number,
  targetIds: readonly number[],
  extra?: (targetId: number) => { column: string; value: unknown },
): Promise<void> {
  const unique = [...new Set(targetIds)];
  if (unique.length === 0) return;
  const columns = [link.owner, link.target, ...(link.ordered ? ['position'] : []), ...(extra ? [extra(unique[0]).column] : [])];
  const rows = unique.map((t, i) => [ownerId, t, ...(link.ordered ? [i] : []), ...(extra ? [extra(t).value] : [])]);
  await db.query(`INSERT INTO ${link.table} (${columns.join(', ')}) VALUES ?`, [rows]);
}

/** Link targets of many owners at once: ownerId → target ids (in `position` order when ordered). */
export async function linksOf(
  db: Db,
  link: { table: string; owner: string; target: string; ordered?: boolean },
  ownerIds: readonly number[],
): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>(ownerIds.map((id) => [id, []]));
  if (ownerIds.length === 0) return out;
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT ${link.owner} AS o, ${link.target} AS t FROM ${link.table} WHERE ${link.owner} IN (?) ORDER BY ${link.ordered ? 'position' : link.target}`,
    [ownerIds],
  );
  for (const r of rows) out.get(Number(r.o))?.push(Number(r.t));
  return out;
}

/** Runs fn in a transaction on one connection. */
export async function transaction<T>(pool: Pool, fn: (db: PoolConnection) => Promise<T>): Promise<T> {
  const connection = await pool.getConnection();
  try {
    await connection.beginTransaction();
    const result = await fn(connection);
    await connection.commit();
    return result;
  } catch (error) {
    await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: string }).code === 'ER_DUP_ENTRY';
}
export function isForeignKeyFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ER_NO_REFERENCED_ROW_2' || code === 'ER_NO_REFERENCED_ROW';
}
