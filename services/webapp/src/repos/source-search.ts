import type { Pool, RowDataPacket } from 'mysql2/promise';
import { encodeCursor, type PickerCursor, type PickerSource } from '../../../../common/schemas/index.js';
import { hostsAfter } from './picker.js';
import { and, EVERYTHING, likePattern, type Scope } from './sql.js';

/**
 * The view editor's source search: sources whose host name or ID, plugin or source name hold
 * every word (case-insensitive substrings, as `LIKE '%w%'`), ordered by host, plugin, source,
 * at most `limit`. One `LIKE` over the join of every source costs a second at 400,000 sources,
 * so the search first picks the hosts that can hold a match, from two small things:
 * - `source_kinds`, the distinct (plugin, source) names of the fleet (tens to thousands of rows):
 *   which words some kind matches;
 * - one ordered pass over the hosts (name, ID, and an indexed look at their plugins' names).
 * A host can hold a match only if, for the words its name and ID do not hold, some kind matches
 * them all (and, when it holds none, it has a plugin of such a kind). The first `MAX_HOSTS_READ`
 * such hosts in name order are then read a few at a time with the exact `LIKE` filter on their
 * own sources (by index) until `limit` + 1 results: what a keystroke reads is bounded whatever
 * the fleet, and past the bound the answer says `truncated` with a `next` cursor (the page's
 * "Show more" goes on from there: after the last source shown, or after the last host read).
 */

/** Hosts whose sources the first exact query reads (each next one reads four times more). */
const FIRST_READ = 4;
/** Hosts read at most per search (dense matches stop far earlier). */
export const MAX_HOSTS_READ = 500;

export interface SourceSearch {
  results: PickerSource[];
  truncated: boolean;
  /** Where the next page starts (`after`), null when nothing more can match. */
  next: string | null;
  /** Hosts whose sources were read (the bound above; tests check it does not grow with the fleet). */
  hostsRead: number;
}

interface Candidate {
  id: number;
  name: string;
}

/** Within the cursor's host, only the sources after its (plugin, source); other hosts whole. */
function sourcesAfter(cursor: PickerCursor | undefined): Scope {
  if (!cursor?.s) return EVERYTHING;
  const [plugin, source] = cursor.s;
  return { sql: '(h.id <> ? OR p.name > ? OR (p.name = ? AND s.name > ?))', params: [cursor.h[1], plugin, plugin, source] };
}

/** `(c1 LIKE ? OR c2 LIKE ?) AS m0, ...`: one match flag per word. */
function matchFlags(words: readonly string[], columns: string[]): { sql: string; params: string[] } {
  return {
    sql: words.map((_, i) => `(${columns.map((c) => `${c} LIKE ?`).join(' OR ')}) AS m${i}`).join(', '),
    params: words.flatMap((w) => columns.map(() => likePattern(w))),
  };
}

const maskOf = (row: RowDataPacket, words: readonly string[]) =>
  words.reduce((mask, _, i) => mask | (Number(row[`m${i}`]) ? 1 << i : 0), 0);

/** For each subset of words (a bit mask), whether some kind matches every word of it. */
async function kindsCover(pool: Pool, words: readonly string[]): Promise<{ covers: (mask: number) => boolean; allPlugins: string[] }> {
  const flags = matchFlags(words, ['plugin', 'name']);
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT plugin, ${flags.sql} FROM source_kinds`, flags.params);
  const masks = new Set<number>();
  const allPlugins = new Set<string>();
  const full = (1 << words.length) - 1;
  for (const r of rows) {
    const mask = maskOf(r, words);
    masks.add(mask);
    if (mask === full) allPlugins.add(r.plugin);
  }
  const known = new Map<number, boolean>();
  const covers = (need: number) => {
    let answer = known.get(need);
    if (answer === undefined) {
      answer = need === 0 || [...masks].some((m) => (m & need) === need);
      known.set(need, answer);
    }
    return answer;
  };
  return { covers, allPlugins: [...allPlugins] };
}

/** `mask IN (allowed)` as SQL: bit i set when word i is in the host's name or ID. */
function hostMask(words: readonly string[], allowed: number[]): Scope {
  const columns = ['h.name', 'h.hostid'];
  return {
    sql: `(${words.map((_, i) => `(${columns.map((c) => `${c} LIKE ?`).join(' OR ')}) * ${1 << i}`).join(' + ')}) IN (?)`,
    params: [...words.flatMap((w) => columns.map(() => likePattern(w))), allowed],
  };
}

/**
 * The first `max` + 1 visible hosts, in name order, that can hold a match: one ordered pass over
 * the hosts (their name and ID, and whether they have a plugin of a kind matching every word),
 * never over their sources.
 */
async function candidateHosts(
  pool: Pool,
  scope: Scope,
  words: readonly string[],
  max: number,
  after: PickerCursor | undefined,
): Promise<Candidate[]> {
  // A cursor inside a host (`s`) starts at that host again, for its remaining sources.
  let where = and(scope, hostsAfter(after, after?.s !== undefined));
  if (words.length) {
    const { covers, allPlugins } = await kindsCover(pool, words);
    const full = (1 << words.length) - 1;
    const allowed: number[] = [];
    for (let mask = 1; mask <= full; mask++) if (covers(full & ~mask)) allowed.push(mask);
    const ways: Scope[] = [];
    if (allowed.length) ways.push(hostMask(words, allowed));
    // Hosts naming no word need a plugin of a kind matching them all (the exact query decides the source).
    if (allPlugins.length)
      ways.push({ sql: 'EXISTS (SELECT 1 FROM plugins p WHERE p.host_id = h.id AND p.name IN (?))', params: [allPlugins] });
    if (!ways.length) return [];
    where = and(where, { sql: ways.map((w) => `(${w.sql})`).join(' OR '), params: ways.flatMap((w) => w.params) });
  }
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT h.id, h.name FROM hosts h WHERE ${where.sql} ORDER BY h.name, h.id LIMIT ?`, [
    ...where.params,
    max + 1,
  ]);
  return rows.map((r) => ({ id: r.id, name: r.name }));
}

/** A match and its host's row id (the cursor's key; not part of the answer). */
interface Found {
  source: PickerSource;
  hostPk: number;
}

function toFound(r: RowDataPacket): Found {
  const source = { id: r.id, name: r.name, plugin: r.plugin, host: r.host, hostid: r.hostid, label: `${r.host} - ${r.plugin} - ${r.name}` };
  return { source, hostPk: r.host_pk };
}

/** The exact filter, on the sources of the given hosts only. */
async function matchesOn(
  pool: Pool,
  hostIds: number[],
  words: readonly string[],
  limit: number,
  after: PickerCursor | undefined,
): Promise<Found[]> {
  const columns = ['h.name', 'h.hostid', 'p.name', 's.name'];
  const filter = words.map((w) => ({ sql: columns.map((c) => `${c} LIKE ?`).join(' OR '), params: columns.map(() => likePattern(w)) }));
  const where = and({ sql: 'p.host_id IN (?)', params: [hostIds] }, sourcesAfter(after), ...filter);
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT s.id, s.name, p.name AS plugin, h.name AS host, h.hostid, h.id AS host_pk
      FROM sources s JOIN plugins p ON p.id = s.plugin_id JOIN hosts h ON h.id = p.host_id
      WHERE ${where.sql} ORDER BY h.name, h.id, p.name, s.name LIMIT ?`,
    [...where.params, limit],
  );
  return rows.map(toFound);
}

export async function searchSources(
  pool: Pool,
  scope: Scope,
  words: readonly string[],
  limit: number,
  after?: PickerCursor,
): Promise<SourceSearch> {
  const hosts = await candidateHosts(pool, scope, words, MAX_HOSTS_READ, after);
  const found: Found[] = [];
  let hostsRead = 0;
  // Small first reads: when matches are dense (the usual case) two or three hosts fill the page.
  for (let batch = FIRST_READ; found.length <= limit && hostsRead < Math.min(hosts.length, MAX_HOSTS_READ); batch *= 4) {
    const next = hosts.slice(hostsRead, Math.min(hostsRead + batch, MAX_HOSTS_READ));
    hostsRead += next.length;
    found.push(
      ...(await matchesOn(
        pool,
        next.map((h) => h.id),
        words,
        limit + 1 - found.length,
        after,
      )),
    );
  }
  const page = found.slice(0, limit);
  return {
    results: page.map((f) => f.source),
    truncated: found.length > limit || hostsRead < hosts.length,
    next: nextCursor(page, found.length > limit, hosts, hostsRead),
    hostsRead,
  };
}

/** After the last result when the page is full, else after the last host read when the bound stopped the reading. */
function nextCursor(page: Found[], full: boolean, hosts: Candidate[], hostsRead: number): string | null {
  const last = page[page.length - 1];
  if (full && last) return encodeCursor({ h: [last.source.host, last.hostPk], s: [last.source.plugin, last.source.name] });
  if (hostsRead < hosts.length) {
    const host = hosts[hostsRead - 1];
    return encodeCursor({ h: [host.name, host.id] });
  }
  return null;
}
