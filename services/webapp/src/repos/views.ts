import type { Pool, RowDataPacket } from 'mysql2/promise';
import { groupBy } from '../grouping.js';
import {
  affected,
  and,
  EVERYTHING,
  insert,
  insertLinks,
  insertLinksMany,
  insertRows,
  linksOf,
  type PageRequest,
  type PageResult,
  replaceLinks,
  type Scope,
  searchScope,
  selectHydratedPage,
  transaction,
} from './sql.js';

/** Views (graphs of any sources) and multiviews (dashboards of views), shared with users and groups. */
export interface View {
  id: number;
  name: string;
  comment: string;
  warning: number | null;
  critical: number | null;
  /** Source ids in drawing order. */
  sources: number[];
  /** Sources drawn against the right y axis (a subset of `sources`). */
  rightAxis: number[];
  users: number[];
  groups: number[];
}
export type NewView = Omit<View, 'id'>;
export interface Multiview {
  id: number;
  name: string;
  comment: string;
  views: number[];
  users: number[];
  groups: number[];
}
export type NewMultiview = Omit<Multiview, 'id'>;

const VIEW_SOURCES = { table: 'view_sources', owner: 'view_id', target: 'source_id', ordered: true };
const VIEW_USERS = { table: 'view_users', owner: 'view_id', target: 'user_id' };
const VIEW_GROUPS = { table: 'view_groups', owner: 'view_id', target: 'group_id' };
const MV_VIEWS = { table: 'multiview_views', owner: 'multiview_id', target: 'view_id', ordered: true };
const MV_USERS = { table: 'multiview_users', owner: 'multiview_id', target: 'user_id' };
const MV_GROUPS = { table: 'multiview_groups', owner: 'multiview_id', target: 'group_id' };

export class ViewRepo {
  constructor(private readonly pool: Pool) {}

  private async hydrate(rows: RowDataPacket[]): Promise<View[]> {
    const ids = rows.map((r) => r.id as number);
    const [sources, users, groups] = await Promise.all([
      linksOf(this.pool, VIEW_SOURCES, ids),
      linksOf(this.pool, VIEW_USERS, ids),
      linksOf(this.pool, VIEW_GROUPS, ids),
    ]);
    const right = new Map<number, number[]>();
    if (ids.length) {
      const [axis] = await this.pool.query<RowDataPacket[]>(
        "SELECT view_id, source_id FROM view_sources WHERE view_id IN (?) AND axis = 'right' ORDER BY position",
        [ids],
      );
      for (const [viewId, rows] of groupBy(axis, (r) => Number(r.view_id)))
        right.set(
          viewId,
          rows.map((r) => Number(r.source_id)),
        );
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      comment: r.comment,
      warning: r.warning,
      critical: r.critical,
      sources: sources.get(r.id) ?? [],
      rightAxis: right.get(r.id) ?? [],
      users: users.get(r.id) ?? [],
      groups: groups.get(r.id) ?? [],
    }));
  }
  async get(id: number): Promise<View | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT * FROM views v WHERE v.id = ?', [id]);
    return (await this.hydrate(rows))[0] ?? null;
  }
  /** `scope` filters on alias `v`. */
  async list(page: PageRequest, scope: Scope = EVERYTHING): Promise<PageResult<View>> {
    return selectHydratedPage(
      this.pool,
      { columns: 'v.*', from: 'views v', scope: and(scope, searchScope(page.q, ['v.name'])), order: 'v.name, v.id' },
      page,
      (rows) => this.hydrate(rows),
    );
  }
  async all(scope: Scope = EVERYTHING): Promise<View[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT v.* FROM views v WHERE ${scope.sql} ORDER BY v.name, v.id`, scope.params);
    return this.hydrate(rows);
  }
  create(view: NewView): Promise<number> {
    return transaction(this.pool, async (db) => {
      const id = await insert(db, 'INSERT INTO views (name, comment, warning, critical) VALUES (?, ?, ?, ?)', [
        view.name,
        view.comment,
        view.warning,
        view.critical,
      ]);
      const right = new Set(view.rightAxis);
      await insertLinks(db, VIEW_SOURCES, id, view.sources, (s) => ({ column: 'axis', value: right.has(s) ? 'right' : 'left' }));
      await insertLinks(db, VIEW_USERS, id, view.users);
      await insertLinks(db, VIEW_GROUPS, id, view.groups);
      return id;
    });
  }
  /**
   * Creates many views in one transaction: a row each, then one INSERT per link table for all of
   * them (populate builds ten views a host; a transaction per view was most of its time).
   */
  createMany(views: readonly NewView[]): Promise<number[]> {
    if (!views.length) return Promise.resolve([]);
    return transaction(this.pool, async (db) => {
      const ids = await insertRows(
        db,
        'INSERT INTO views (name, comment, warning, critical)',
        views.map((v) => [v.name, v.comment, v.warning, v.critical]),
      );
      const sourceRows = views.flatMap((v, i) => {
        const right = new Set(v.rightAxis);
        return [...new Set(v.sources)].map((s, position) => [ids[i], s, position, right.has(s) ? 'right' : 'left']);
      });
      const userRows = views.flatMap((v, i) => [...new Set(v.users)].map((u) => [ids[i], u]));
      const groupRows = views.flatMap((v, i) => [...new Set(v.groups)].map((g) => [ids[i], g]));
      if (sourceRows.length) await db.query('INSERT INTO view_sources (view_id, source_id, position, axis) VALUES ?', [sourceRows]);
      if (userRows.length) await db.query('INSERT INTO view_users (view_id, user_id) VALUES ?', [userRows]);
      if (groupRows.length) await db.query('INSERT INTO view_groups (view_id, group_id) VALUES ?', [groupRows]);
      return ids;
    });
  }
  async update(id: number, patch: Partial<NewView>): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as View;
    await transaction(this.pool, async (db) => {
      await db.query('UPDATE views SET name = ?, comment = ?, warning = ?, critical = ? WHERE id = ?', [
        next.name,
        next.comment,
        next.warning,
        next.critical,
        id,
      ]);
      const right = new Set(next.rightAxis);
      await replaceLinks(db, VIEW_SOURCES, id, next.sources, (s) => ({ column: 'axis', value: right.has(s) ? 'right' : 'left' }));
      await replaceLinks(db, VIEW_USERS, id, next.users);
      await replaceLinks(db, VIEW_GROUPS, id, next.groups);
    });
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM views WHERE id = ?', [id])) > 0;
  }
}

export class MultiviewRepo {
  constructor(private readonly pool: Pool) {}
  private async hydrate(rows: RowDataPacket[]): Promise<Multiview[]> {
    const ids = rows.map((r) => r.id as number);
    const [views, users, groups] = await Promise.all([
      linksOf(this.pool, MV_VIEWS, ids),
      linksOf(this.pool, MV_USERS, ids),
      linksOf(this.pool, MV_GROUPS, ids),
    ]);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      comment: r.comment,
      views: views.get(r.id) ?? [],
      users: users.get(r.id) ?? [],
      groups: groups.get(r.id) ?? [],
    }));
  }
  async get(id: number): Promise<Multiview | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT * FROM multiviews m WHERE m.id = ?', [id]);
    return (await this.hydrate(rows))[0] ?? null;
  }
  /** `scope` filters on alias `m`. */
  async list(page: PageRequest, scope: Scope = EVERYTHING): Promise<PageResult<Multiview>> {
    return selectHydratedPage(
      this.pool,
      { columns: 'm.*', from: 'multiviews m', scope: and(scope, searchScope(page.q, ['m.name'])), order: 'm.name, m.id' },
      page,
      (rows) => this.hydrate(rows),
    );
  }
  async all(scope: Scope = EVERYTHING): Promise<Multiview[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT m.* FROM multiviews m WHERE ${scope.sql} ORDER BY m.name, m.id`,
      scope.params,
    );
    return this.hydrate(rows);
  }
  /** Every multiview name (one query): populate's test for a host's default dashboard. */
  async names(): Promise<Set<string>> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT name FROM multiviews');
    return new Set(rows.map((r) => r.name as string));
  }
  async byName(name: string): Promise<Multiview | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT * FROM multiviews m WHERE m.name = ? ORDER BY m.id LIMIT 1', [name]);
    return (await this.hydrate(rows))[0] ?? null;
  }
  /** Many new multiviews in one transaction of five statements (populate's default dashboards). */
  createMany(list: readonly NewMultiview[]): Promise<number[]> {
    if (!list.length) return Promise.resolve([]);
    return transaction(this.pool, async (db) => {
      const ids = await insertRows(
        db,
        'INSERT INTO multiviews (name, comment)',
        list.map((mv) => [mv.name, mv.comment]),
      );
      await insertLinksMany(
        db,
        MV_VIEWS,
        list.map((mv, i) => ({ ownerId: ids[i], targetIds: mv.views })),
      );
      await insertLinksMany(
        db,
        MV_USERS,
        list.map((mv, i) => ({ ownerId: ids[i], targetIds: mv.users })),
      );
      await insertLinksMany(
        db,
        MV_GROUPS,
        list.map((mv, i) => ({ ownerId: ids[i], targetIds: mv.groups })),
      );
      return ids;
    });
  }
  create(mv: NewMultiview): Promise<number> {
    return transaction(this.pool, async (db) => {
      const id = await insert(db, 'INSERT INTO multiviews (name, comment) VALUES (?, ?)', [mv.name, mv.comment]);
      await insertLinks(db, MV_VIEWS, id, mv.views);
      await insertLinks(db, MV_USERS, id, mv.users);
      await insertLinks(db, MV_GROUPS, id, mv.groups);
      return id;
    });
  }
  async update(id: number, patch: Partial<NewMultiview>): Promise<void> {
    await transaction(this.pool, async (db) => {
      if (patch.name !== undefined) await db.query('UPDATE multiviews SET name = ? WHERE id = ?', [patch.name, id]);
      if (patch.comment !== undefined) await db.query('UPDATE multiviews SET comment = ? WHERE id = ?', [patch.comment, id]);
      if (patch.views) await replaceLinks(db, MV_VIEWS, id, patch.views);
      if (patch.users) await replaceLinks(db, MV_USERS, id, patch.users);
      if (patch.groups) await replaceLinks(db, MV_GROUPS, id, patch.groups);
    });
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM multiviews WHERE id = ?', [id])) > 0;
  }
}
