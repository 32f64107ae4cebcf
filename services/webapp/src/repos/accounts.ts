import type { Pool, RowDataPacket } from 'mysql2/promise';
import {
  affected,
  and,
  type Db,
  insert,
  linksOf,
  type PageRequest,
  type PageResult,
  replaceLinks,
  type Scope,
  searchScope,
  selectAll,
  selectHydratedPage,
  selectPage,
  transaction,
  updateColumns,
} from './sql.js';

export interface Group {
  id: number;
  name: string;
}
export interface User {
  id: number;
  username: string;
  email: string;
  isSuperuser: boolean;
  graphLib: string;
  dateJoined: Date;
  groups: number[];
}
export interface NewUser {
  username: string;
  email: string;
  isSuperuser: boolean;
  graphLib: string;
  groups: number[];
  passwordHash: string;
}
export interface Token {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const MEMBERS = { table: 'group_members', owner: 'user_id', target: 'group_id' };

const toGroup = (r: RowDataPacket): Group => ({ id: r.id, name: r.name });

export class GroupRepo {
  constructor(private readonly pool: Pool) {}
  async get(id: number): Promise<Group | null> {
    return (await selectAll(this.pool, 'SELECT id, name FROM usergroups WHERE id = ?', [id], toGroup))[0] ?? null;
  }
  async byName(name: string): Promise<Group | null> {
    return (await selectAll(this.pool, 'SELECT id, name FROM usergroups WHERE name = ?', [name], toGroup))[0] ?? null;
  }
  async all(): Promise<Group[]> {
    return selectAll(this.pool, 'SELECT id, name FROM usergroups ORDER BY name', [], toGroup);
  }
  list(page: PageRequest): Promise<PageResult<Group>> {
    return selectPage(
      this.pool,
      { columns: 'id, name', from: 'usergroups', scope: searchScope(page.q, ['name']), order: 'name' },
      page,
      toGroup,
    );
  }
  create(name: string): Promise<number> {
    return insert(this.pool, 'INSERT INTO usergroups (name) VALUES (?)', [name]);
  }
  async rename(id: number, name: string): Promise<boolean> {
    return (await affected(this.pool, 'UPDATE usergroups SET name = ? WHERE id = ?', [name, id])) > 0 || (await this.get(id)) !== null;
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM usergroups WHERE id = ?', [id])) > 0;
  }
}

const USER_COLUMNS = 'id, username, email, is_superuser, graph_lib, date_joined';

export class UserRepo {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => Date,
  ) {}

  private async withGroups(rows: RowDataPacket[]): Promise<User[]> {
    const groups = await linksOf(
      this.pool,
      MEMBERS,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      email: r.email,
      isSuperuser: Boolean(r.is_superuser),
      graphLib: r.graph_lib,
      dateJoined: r.date_joined,
      groups: groups.get(r.id) ?? [],
    }));
  }
  private async where(sql: string, params: unknown[]): Promise<User[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT ${USER_COLUMNS} FROM users WHERE ${sql}`, params);
    return this.withGroups(rows);
  }
  async get(id: number): Promise<User | null> {
    return (await this.where('id = ?', [id]))[0] ?? null;
  }
  async byUsername(username: string): Promise<User | null> {
    return (await this.where('username = ?', [username]))[0] ?? null;
  }
  async passwordHash(id: number): Promise<string | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT password_hash FROM users WHERE id = ?', [id]);
    return rows[0]?.password_hash ?? null;
  }
  async list(page: PageRequest, scope: Scope): Promise<PageResult<User>> {
    return selectHydratedPage(
      this.pool,
      { columns: USER_COLUMNS, from: 'users', scope: and(scope, searchScope(page.q, ['username', 'email'])), order: 'username' },
      page,
      (rows) => this.withGroups(rows),
    );
  }
  async all(): Promise<User[]> {
    return this.where('1=1 ORDER BY username', []);
  }
  create(user: NewUser): Promise<number> {
    return transaction(this.pool, async (db) => {
      const id = await insert(
        db,
        'INSERT INTO users (username, email, password_hash, is_superuser, graph_lib, date_joined) VALUES (?, ?, ?, ?, ?, ?)',
        [user.username, user.email, user.passwordHash, user.isSuperuser, user.graphLib, this.now()],
      );
      await replaceLinks(db, MEMBERS, id, user.groups);
      return id;
    });
  }
  update(id: number, patch: Partial<Omit<NewUser, 'passwordHash'>>): Promise<void> {
    return transaction(this.pool, async (db) => {
      const columns: Record<string, unknown> = {
        username: patch.username,
        email: patch.email,
        is_superuser: patch.isSuperuser,
        graph_lib: patch.graphLib,
      };
      await updateColumns(db, 'users', id, columns);
      if (patch.groups) await replaceLinks(db, MEMBERS, id, patch.groups);
    });
  }
  /**
   * Sets the password and ends the user's sessions (someone who knew the old password is logged out),
   * except `keepSessionId`: the session of the user who changed their own password.
   */
  setPasswordHash(id: number, hash: string, keepSessionId?: string): Promise<void> {
    return transaction(this.pool, async (db) => {
      await db.query('UPDATE users SET password_hash = ? WHERE id = ?', [hash, id]);
      await endSessions(db, id, keepSessionId);
    });
  }
  /** Deletes the user with their sessions and API tokens. */
  delete(id: number): Promise<boolean> {
    return transaction(this.pool, async (db) => {
      await endSessions(db, id);
      await db.query('DELETE FROM api_tokens WHERE user_id = ?', [id]);
      return (await affected(db, 'DELETE FROM users WHERE id = ?', [id])) > 0;
    });
  }
}

async function endSessions(db: Db, userId: number, keepSessionId?: string): Promise<void> {
  if (keepSessionId === undefined) await db.query('DELETE FROM sessions WHERE user_id = ?', [userId]);
  else await db.query('DELETE FROM sessions WHERE user_id = ? AND sid <> ?', [userId, keepSessionId]);
}

const toToken = (r: RowDataPacket): Token => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});
const TOKEN_COLUMNS = 'id, user_id, name, prefix, created_at, last_used_at';

export class TokenRepo {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => Date,
  ) {}
  create(userId: number, name: string, prefix: string, tokenHash: string): Promise<number> {
    return insert(this.pool, 'INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
      userId,
      name,
      prefix,
      tokenHash,
      this.now(),
    ]);
  }
  async get(id: number): Promise<Token | null> {
    return (await selectAll(this.pool, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`, [id], toToken))[0] ?? null;
  }
  list(page: PageRequest, scope: Scope): Promise<PageResult<Token>> {
    return selectPage(
      this.pool,
      { columns: TOKEN_COLUMNS, from: 'api_tokens', scope: and(scope, searchScope(page.q, ['name'])), order: 'id' },
      page,
      toToken,
    );
  }
  async all(): Promise<Token[]> {
    return selectAll(this.pool, `SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY id`, [], toToken);
  }
  /** The token's user id, and marks it used; null for an unknown token. */
  async use(tokenHash: string): Promise<number | null> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT id, user_id FROM api_tokens WHERE token_hash = ?', [tokenHash]);
    if (!rows.length) return null;
    // at most one write a minute per token, not one per request
    const now = this.now();
    await this.pool.query('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [
      now,
      rows[0].id,
      new Date(now.getTime() - 60_000),
    ]);
    return rows[0].user_id;
  }
  async delete(id: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM api_tokens WHERE id = ?', [id])) > 0;
  }
}
