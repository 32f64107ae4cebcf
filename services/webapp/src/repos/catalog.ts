import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  affected,
  and,
  EVERYTHING,
  insert,
  linksOf,
  type PageRequest,
  type PageResult,
  replaceLinks,
  type Scope,
  searchScope,
  selectAll,
  selectPage,
  transaction,
} from './sql.js';

/** Skeletons (view templates) and events (annotations on hosts). */
export interface Skeleton {
  id: number;
  name: string;
  pluginPattern: string;
  sourcePattern: string;
  comment: string;
}
export type NewSkeleton = Omit<Skeleton, 'id'>;
export interface Event {
  id: number;
  name: string;
  shortText: string;
  date: Date;
  comment: string;
  hosts: number[];
}
export type NewEvent = Omit<Event, 'id'>;

const toSkeleton = (r: RowDataPacket): Skeleton => ({
  id: r.id,
  name: r.name,
  pluginPattern: r.plugin_pattern,
  sourcePattern: r.source_pattern,
  comment: r.comment,
});
const SKELETON_COLUMN: Record<keyof NewSkeleton, string> = {
  name: 'name',
  pluginPattern: 'plugin_pattern',
  sourcePattern: 'source_pattern',
  comment: 'comment',
};

export class SkeletonRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Skeleton | null> {
    return (await selectAll(this.pool, 'SELECT * FROM skeletons WHERE id = ?', [id], toSkeleton))[0] ?? null;
  }
  async byName(name: string): Promise<Skeleton | null> {
    return (await selectAll(this.pool, 'SELECT * FROM skeletons WHERE name = ?', [name], toSkeleton))[0] ?? null;
  }
  all(): Promise<Skeleton[]> {
    return selectAll(this.pool, 'SELECT * FROM skeletons ORDER BY name', [], toSkeleton);
  }
  list(page: PageRequest): Promise<PageResult<Skeleton>> {
    return selectPage(
      this.pool,
      { columns: '*', from: 'skeletons', scope: searchScope(page.q, ['name', 'comment']), order: 'name' },
      page,
      toSkeleton,
    );
  }
  create(s: NewSkeleton): Promise<number> {
    return insert(this.pool, 'INSERT INTO skeletons (name, plugin_pattern, source_pattern, comment) VALUES (?, ?, ?, ?)', [
      s.name,
      s.pluginPattern,
      s.sourcePattern,
      s.comment,
    ]);
  }
  async update(id: number, patch: Partial<NewSkeleton>): Promise<void> {
    const set = (Object.keys(SKELETON_COLUMN) as (keyof NewSkeleton)[]).filter((k) => patch[k] !== undefined);
    if (set.length)
      await this.pool.query(`UPDATE skeletons SET ${set.map((k) => `${SKELETON_COLUMN[k]} = ?`).join(', ')} WHERE id = ?`, [
        ...set.map((k) => patch[k]),
        id,
      ]);
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM skeletons WHERE id = ?', [id])) > 0;
  }
}

const EVENT_HOSTS = { table: 'event_hosts', owner: 'event_id', target: 'host_id' };

export class EventRepo {
  constructor(private readonly pool: Pool) {}
  private async hydrate(rows: RowDataPacket[]): Promise<Event[]> {
    const hosts = await linksOf(
      this.pool,
      EVENT_HOSTS,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      shortText: r.short_text,
      date: r.date,
      comment: r.comment,
      hosts: hosts.get(r.id) ?? [],
    }));
  }
  async get(id: number): Promise<Event | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT * FROM events e WHERE e.id = ?', [id]);
    return (await this.hydrate(rows))[0] ?? null;
  }
  /** `scope` filters on alias `e`. */
  async list(page: PageRequest, scope: Scope = EVERYTHING): Promise<PageResult<Event>> {
    const result = await selectPage(
      this.pool,
      { columns: 'e.*', from: 'events e', scope: and(scope, searchScope(page.q, ['e.name', 'e.short_text'])), order: 'e.date DESC, e.id' },
      page,
      (r) => r,
    );
    return { count: result.count, rows: await this.hydrate(result.rows) };
  }
  /** Events of one host between two dates (for drawing annotations). */
  async forHost(hostId: number, from: Date, until: Date): Promise<Event[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT e.* FROM events e JOIN event_hosts eh ON eh.event_id = e.id WHERE eh.host_id = ? AND e.date BETWEEN ? AND ? ORDER BY e.date',
      [hostId, from, until],
    );
    return this.hydrate(rows);
  }
  create(e: NewEvent): Promise<number> {
    return transaction(this.pool, async (db) => {
      const id = await insert(db, 'INSERT INTO events (name, short_text, date, comment) VALUES (?, ?, ?, ?)', [
        e.name,
        e.shortText,
        e.date,
        e.comment,
      ]);
      await replaceLinks(db, EVENT_HOSTS, id, e.hosts);
      return id;
    });
  }
  async update(id: number, patch: Partial<NewEvent>): Promise<void> {
    await transaction(this.pool, async (db) => {
      const columns: Record<string, unknown> = { name: patch.name, short_text: patch.shortText, date: patch.date, comment: patch.comment };
      const set = Object.entries(columns).filter(([, v]) => v !== undefined);
      if (set.length)
        await db.query(`UPDATE events SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`, [...set.map(([, v]) => v), id]);
      if (patch.hosts) await replaceLinks(db, EVENT_HOSTS, id, patch.hosts);
    });
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM events WHERE id = ?', [id])) > 0;
  }
}
