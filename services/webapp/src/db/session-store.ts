import session from 'express-session';
import type { Pool, RowDataPacket } from 'mysql2/promise';

type Callback = (err?: unknown, value?: session.SessionData | null) => void;

/**
 * express-session Store on the application's mysql2 pool (table `sessions`, created by the
 * migrations): sessions survive restarts and are shared by every webapp process. Expired rows are
 * ignored on read and pruned on write, about once a minute. Each row keeps the user id (column
 * `user_id`) so that a user's sessions can be ended (`UserRepo.endSessions`).
 */
export class MySqlSessionStore extends session.Store {
  private lastPrune = 0;

  constructor(
    private readonly pool: Pool,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  override get(sid: string, callback: Callback): void {
    this.pool
      .query<RowDataPacket[]>('SELECT data FROM sessions WHERE sid = ? AND expires > ?', [sid, this.now()])
      .then(([rows]) => callback(null, rows.length ? (JSON.parse(rows[0].data) as session.SessionData) : null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    const expires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : this.now() + this.maxAgeMs;
    this.pool
      .query('REPLACE INTO sessions (sid, expires, data, user_id) VALUES (?, ?, ?, ?)', [
        sid,
        expires,
        JSON.stringify(data),
        data.userId ?? null,
      ])
      .then(() => this.pruneNow())
      .then(
        () => callback?.(),
        (err) => callback?.(err),
      );
  }

  override touch(sid: string, data: session.SessionData, callback?: () => void): void {
    const expires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : this.now() + this.maxAgeMs;
    this.pool.query('UPDATE sessions SET expires = ? WHERE sid = ?', [expires, sid]).then(
      () => callback?.(),
      () => callback?.(),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.pool.query('DELETE FROM sessions WHERE sid = ?', [sid]).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  private async pruneNow(): Promise<void> {
    if (this.now() - this.lastPrune < 60_000) return;
    this.lastPrune = this.now();
    await this.pool.query('DELETE FROM sessions WHERE expires <= ?', [this.now()]);
  }
}
