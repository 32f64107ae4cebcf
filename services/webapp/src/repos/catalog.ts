import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  affected,
  and,
  type Db,
  EVERYTHING,
  insert,
  linksOf,
  type PageRequest,
  type PageResult,
  replaceLinks,
  type Scope,
  searchScope,
  selectHydratedPage,
  transaction,
  updateColumns,
} from './sql.js';

/** Skeletons (view templates) and events (annotations on hosts). */
export interface SkeletonPart {
  pluginPattern: string;
  sourcePattern: string;
  axis: 'left' | 'right';
  /** Used on a host only when the parts before it (back to the last non-fallback one) found nothing. */
  fallback: boolean;
}
export interface Skeleton {
  id: number;
  name: string;
  /** The main pattern: its sources go on the left axis, and `populate` builds the view where it matches. */
  pluginPattern: string;
  sourcePattern: string;
  comment: string;
  parts: SkeletonPart[];
  populate: boolean;
}
export type NewSkeleton = Omit<Skeleton, 'id' | 'parts' | 'populate'> & Partial<Pick<Skeleton, 'parts' | 'populate'>>;
export interface Event {
  id: number;
  name: string;
  shortText: string;
  date: Date;
  comment: string;
  hosts: number[];
}
export type NewEvent = Omit<Event, 'id'>;

const SKELETON_COLUMN: Record<Exclude<keyof NewSkeleton, 'parts'>, string> = {
  name: 'name',
  pluginPattern: 'plugin_pattern',
  sourcePattern: 'source_pattern',
  comment: 'comment',
  populate: 'populate',
};

export class SkeletonRepo {
  constructor(private readonly pool: Pool) {}
  private async hydrate(rows: RowDataPacket[]): Promise<Skeleton[]> {
    const parts = new Map<number, SkeletonPart[]>(rows.map((r) => [r.id, []]));
    if (rows.length) {
      const [partRows] = await this.pool.query<RowDataPacket[]>(
        'SELECT * FROM skeleton_parts WHERE skeleton_id IN (?) ORDER BY skeleton_id, position',
        [rows.map((r) => r.id)],
      );
      for (const p of partRows)
        parts.get(p.skeleton_id)?.push({
          pluginPattern: p.plugin_pattern,
          sourcePattern: p.source_pattern,
          axis: p.axis,
          fallback: Boolean(p.fallback),
        });
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      pluginPattern: r.plugin_pattern,
      sourcePattern: r.source_pattern,
      comment: r.comment,
      parts: parts.get(r.id) ?? [],
      populate: Boolean(r.populate),
    }));
  }
  private async where(sql: string, params: unknown[]): Promise<Skeleton[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT * FROM skeletons WHERE ${sql}`, params);
    return this.hydrate(rows);
  }
  async get(id: number): Promise<Skeleton | null> {
    return (await this.where('id = ?', [id]))[0] ?? null;
  }
  async byName(name: string): Promise<Skeleton | null> {
    return (await this.where('name = ?', [name]))[0] ?? null;
  }
  all(): Promise<Skeleton[]> {
    return this.where('1=1 ORDER BY name', []);
  }
  /** The skeletons `populate` builds on every host where they match. */
  forPopulate(): Promise<Skeleton[]> {
    return this.where('populate ORDER BY name', []);
  }
  async list(page: PageRequest): Promise<PageResult<Skeleton>> {
    return selectHydratedPage(
      this.pool,
      { columns: '*', from: 'skeletons', scope: searchScope(page.q, ['name', 'comment']), order: 'name' },
      page,
      (rows) => this.hydrate(rows),
    );
  }
  create(s: NewSkeleton): Promise<number> {
    return transaction(this.pool, async (db) => {
      const id = await insert(
        db,
        'INSERT INTO skeletons (name, plugin_pattern, source_pattern, comment, populate) VALUES (?, ?, ?, ?, ?)',
        [s.name, s.pluginPattern, s.sourcePattern, s.comment, s.populate ?? false],
      );
      await replaceParts(db, id, s.parts ?? []);
      return id;
    });
  }
  async update(id: number, patch: Partial<NewSkeleton>): Promise<void> {
    await transaction(this.pool, async (db) => {
      const keys = Object.keys(SKELETON_COLUMN) as (keyof typeof SKELETON_COLUMN)[];
      await updateColumns(db, 'skeletons', id, Object.fromEntries(keys.map((k) => [SKELETON_COLUMN[k], patch[k]])));
      if (patch.parts) await replaceParts(db, id, patch.parts);
    });
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM skeletons WHERE id = ?', [id])) > 0;
  }
  /** Whether `populate` already built (or built and someone deleted) this skeleton's view of the host. */
  async builtFor(skeletonId: number, hostId: number): Promise<boolean> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT 1 FROM skeleton_host_views WHERE skeleton_id = ? AND host_id = ?', [
      skeletonId,
      hostId,
    ]);
    return rows.length > 0;
  }
  async recordBuilt(skeletonId: number, hostId: number, viewId: number): Promise<void> {
    await this.pool.query('INSERT IGNORE INTO skeleton_host_views (skeleton_id, host_id, view_id) VALUES (?, ?, ?)', [
      skeletonId,
      hostId,
      viewId,
    ]);
  }
}

async function replaceParts(db: Db, skeletonId: number, parts: readonly SkeletonPart[]): Promise<void> {
  await db.query('DELETE FROM skeleton_parts WHERE skeleton_id = ?', [skeletonId]);
  if (!parts.length) return;
  await db.query('INSERT INTO skeleton_parts (skeleton_id, position, plugin_pattern, source_pattern, axis, fallback) VALUES ?', [
    parts.map((p, i) => [skeletonId, i, p.pluginPattern, p.sourcePattern, p.axis, p.fallback]),
  ]);
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
    return selectHydratedPage(
      this.pool,
      { columns: 'e.*', from: 'events e', scope: and(scope, searchScope(page.q, ['e.name', 'e.short_text'])), order: 'e.date DESC, e.id' },
      page,
      (rows) => this.hydrate(rows),
    );
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
      await updateColumns(db, 'events', id, columns);
      if (patch.hosts) await replaceLinks(db, EVENT_HOSTS, id, patch.hosts);
    });
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM events WHERE id = ?', [id])) > 0;
  }
}
