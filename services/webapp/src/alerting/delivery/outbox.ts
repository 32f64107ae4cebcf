import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { ActiveSilence } from './silences.js';

/**
 * The delivery side of the `alert_notifications` outbox (migration 5) and the contact's
 * health columns. Times come from the dispatcher's clock (never the database's NOW()), so
 * one clock rules leases, backoff and what the webapp shows.
 */

/** A pending row this process now holds the lease of. */
export interface ClaimedRow {
  id: number;
  contactId: number;
  /** The `payload` JSON as stored; validated by the dispatcher (a bad one fails alone). */
  payload: unknown;
  /** Sends tried before this one. */
  attempts: number;
  createdAtMs: number;
}

export interface ContactRow {
  id: number;
  name: string;
  kind: string;
  settings: unknown;
  enabled: boolean;
}

export interface ClaimRequest {
  nowMs: number;
  leaseUntilMs: number;
  /** Rows looked at (locked for the claim's transaction). */
  limit: number;
  /** Rows taken at most (the dispatcher's free send slots). */
  take: number;
  /** How many more sends a contact may start now; rows beyond stay for a later poll. */
  freeSlotsOf: (contactId: number) => number;
}

export interface ClaimResult {
  rows: ClaimedRow[];
  /** Rows looked at: when it is the limit, more may be due. */
  seen: number;
}

const date = (ms: number) => new Date(ms);

export class Outbox {
  constructor(private readonly pool: Pool) {}

  /** Fails (e.g. the table is missing: migrations not applied) so a start can fail with it. */
  async check(): Promise<void> {
    await this.pool.query('SELECT id FROM alert_notifications LIMIT 0');
  }

  /**
   * Takes due pending rows whose lease is free. `SKIP LOCKED` lets several webapp processes
   * claim at once without waiting on each other or taking the same row; the lease then
   * keeps the row ours after the transaction, until it is marked or the lease runs out
   * (a crashed process: another one takes the row over, so it is sent at least once).
   */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const connection = await this.pool.getConnection();
    try {
      await connection.beginTransaction();
      try {
        const result = await this.claimIn(connection, request);
        await connection.commit();
        return result;
      } catch (error) {
        await connection.rollback().catch(() => {});
        throw error;
      }
    } finally {
      connection.release();
    }
  }

  private async claimIn(connection: PoolConnection, request: ClaimRequest): Promise<ClaimResult> {
    const [found] = await connection.query<RowDataPacket[]>(
      `SELECT id, contact_id, payload, attempts, created_at FROM alert_notifications
        WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
      [date(request.nowMs), date(request.nowMs), request.limit],
    );
    const taken: ClaimedRow[] = [];
    const slots = new Map<number, number>();
    for (const row of found) {
      if (taken.length >= request.take) break;
      const contactId = Number(row.contact_id);
      const free = slots.get(contactId) ?? request.freeSlotsOf(contactId);
      if (free <= 0) continue;
      slots.set(contactId, free - 1);
      taken.push({
        id: Number(row.id),
        contactId,
        payload: row.payload,
        attempts: Number(row.attempts),
        createdAtMs: (row.created_at as Date).getTime(),
      });
    }
    if (taken.length > 0)
      await connection.query('UPDATE alert_notifications SET lease_until = ? WHERE id IN (?)', [
        date(request.leaseUntilMs),
        taken.map((r) => r.id),
      ]);
    return { rows: taken, seen: found.length };
  }

  async contacts(ids: number[]): Promise<Map<number, ContactRow>> {
    if (ids.length === 0) return new Map();
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT id, name, kind, settings, enabled FROM contacts WHERE id IN (?)', [
      [...new Set(ids)],
    ]);
    return new Map(
      rows.map((r) => [
        Number(r.id),
        { id: Number(r.id), name: String(r.name), kind: String(r.kind), settings: r.settings, enabled: Boolean(r.enabled) },
      ]),
    );
  }

  async activeSilences(nowMs: number): Promise<ActiveSilence[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT id, rule_key, host_glob, plugin, field FROM alert_silences WHERE starts_at <= ? AND ends_at > ? ORDER BY id',
      [date(nowMs), date(nowMs)],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      ruleKey: r.rule_key ?? null,
      hostGlob: r.host_glob ?? null,
      plugin: r.plugin ?? null,
      field: r.field ?? null,
    }));
  }

  // Each outcome applies only to a row still pending: another process that took over an
  // expired lease may have finished it first, and a final status is never overwritten.

  async markSent(id: number, nowMs: number): Promise<void> {
    await this.update(
      `UPDATE alert_notifications SET status = 'sent', sent_at = ?, attempts = attempts + 1, lease_until = NULL, last_error = NULL
        WHERE id = ? AND status = 'pending'`,
      [date(nowMs), id],
    );
  }

  async markSilenced(id: number, silenceId: number): Promise<void> {
    await this.update(
      `UPDATE alert_notifications SET status = 'silenced', lease_until = NULL, last_error = ? WHERE id = ? AND status = 'pending'`,
      [`silenced by silence ${silenceId}`, id],
    );
  }

  async reschedule(id: number, atMs: number, error: string): Promise<void> {
    await this.update(
      `UPDATE alert_notifications SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ?
        WHERE id = ? AND status = 'pending'`,
      [date(atMs), error, id],
    );
  }

  async markFailed(id: number, error: string, counted: boolean): Promise<void> {
    await this.update(
      `UPDATE alert_notifications SET status = 'failed', attempts = attempts + ?, lease_until = NULL, last_error = ?
        WHERE id = ? AND status = 'pending'`,
      [counted ? 1 : 0, error, id],
    );
  }

  /** Gives rows back at once (a stop cut their send short): the next poll of any process retries them. */
  async releaseLeases(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.update(`UPDATE alert_notifications SET lease_until = NULL WHERE id IN (?) AND status = 'pending'`, [ids]);
  }

  async contactSucceeded(contactId: number, nowMs: number): Promise<void> {
    await this.update('UPDATE contacts SET last_success_at = ?, failing_since = NULL WHERE id = ?', [date(nowMs), contactId]);
  }

  async contactFailed(contactId: number, error: string, nowMs: number): Promise<void> {
    await this.update('UPDATE contacts SET last_error = ?, last_error_at = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?', [
      error,
      date(nowMs),
      date(nowMs),
      contactId,
    ]);
  }

  private async update(sql: string, params: unknown[]): Promise<void> {
    await this.pool.query<ResultSetHeader>(sql, params);
  }
}
