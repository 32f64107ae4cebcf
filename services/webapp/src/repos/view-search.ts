import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { PickerView } from '../../../../common/schemas/index.js';
import type { Bounded } from './picker.js';
import { and, likePattern, prefixPattern, type Scope } from './sql.js';

/**
 * The dashboard editor's view search (`GET /picker/views?q=`): views whose name holds every word
 * (case-insensitive substrings), names starting with the first word first, then the others, each
 * part in name order. A `LIKE '%w%'` over every view reads the whole table when little matches
 * (110,000 views at 10,000 hosts: a populate makes 11 a host), so:
 * - names starting with the first word (the usual way to look for "web00321 - Load") are an
 *   index range on `views_name` (migration 8), whatever the number of views;
 * - names holding the words elsewhere are found by walking that index in order, stopping at
 *   `limit` + 1 matches or after `MAX_VIEWS_SCANNED` rows (MariaDB's `LIMIT ROWS EXAMINED`); a walk
 *   stopped by the bound answers `truncated` ("more views match: type more of the name").
 */

/** Rows the walk for names holding the words (not at their start) reads at most. */
export const MAX_VIEWS_SCANNED = 20_000;
/** MariaDB's warning when `LIMIT ROWS EXAMINED` stopped a query (its answer is then partial). */
const ER_QUERY_EXCEEDED_ROWS_EXAMINED_LIMIT = 1931;

const everyWord = (words: readonly string[]): Scope[] => words.map((w) => ({ sql: 'v.name LIKE ?', params: [likePattern(w)] }));

export async function searchViews(
  pool: Pool,
  scope: Scope,
  words: readonly string[],
  limit: number,
  maxScanned = MAX_VIEWS_SCANNED,
): Promise<Bounded<PickerView>> {
  const select = (where: Scope, extra = '') =>
    `SELECT v.id, v.name FROM views v WHERE ${where.sql} ORDER BY v.name, v.id LIMIT ${Number(limit) + 1}${extra}`;
  if (!words.length) {
    const [rows] = await pool.query<RowDataPacket[]>(select(scope), scope.params);
    return bounded(rows, limit);
  }
  const starts: Scope = { sql: 'v.name LIKE ?', params: [prefixPattern(words[0])] };
  const first = and(scope, starts, ...everyWord(words.slice(1)));
  const [byPrefix] = await pool.query<RowDataPacket[]>(select(first), first.params);
  if (byPrefix.length > limit) return bounded(byPrefix, limit);
  const elsewhere = and(scope, { sql: `NOT (${starts.sql})`, params: starts.params }, ...everyWord(words));
  const walk = await boundedWalk(pool, select(elsewhere, ` ROWS EXAMINED ${Number(maxScanned)}`), elsewhere.params);
  const found = bounded([...byPrefix, ...walk.rows], limit);
  return { results: found.results, truncated: found.truncated || walk.stopped };
}

/** The walk on one connection, so that its warnings (did the bound stop it?) are its own. */
async function boundedWalk(pool: Pool, sql: string, params: unknown[]): Promise<{ rows: RowDataPacket[]; stopped: boolean }> {
  const connection = await pool.getConnection();
  try {
    const [rows] = await connection.query<RowDataPacket[]>(sql, params);
    const [warnings] = await connection.query<RowDataPacket[]>('SHOW WARNINGS');
    return { rows, stopped: warnings.some((w) => Number(w.Code) === ER_QUERY_EXCEEDED_ROWS_EXAMINED_LIMIT) };
  } finally {
    connection.release();
  }
}

function bounded(rows: RowDataPacket[], limit: number): Bounded<PickerView> {
  return { results: rows.slice(0, limit).map((r) => ({ id: r.id, name: r.name })), truncated: rows.length > limit };
}
