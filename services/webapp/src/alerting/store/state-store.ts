import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Clock } from '../../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../../common/logging/index.js';
import { AlertState, type AlertState as AlertStateName, RuleKey, safeName } from '../../../../../common/schemas/index.js';
import { transaction } from '../../repos/sql.js';
import type { RestoredState, StateRecord, StateSink } from '../engine/evaluator.js';
import {
  type ContactRow,
  contactRowsOf,
  contactsReached,
  type HostFacts,
  hostFacts,
  insertOutboxRows,
  notificationLink,
  seriesKeyOf,
} from './outbox.js';
import { WriteQueue } from './write-queue.js';

/** The store was stopped while records were still waiting to be written. */
export class StateStoreStoppedError extends Error {
  constructor() {
    super('alert state store stopped before the records were written');
    this.name = 'StateStoreStoppedError';
  }
}

export interface StateStoreOptions {
  pool: Pool;
  clock: Clock;
  logger: Logger;
  /** Wait before retrying a failed write, doubled up to maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** `[web] public_url`: notifications link to the series' graph under it (empty: no link). */
  publicUrl?: string;
  /** Records (or chunks of quiet removals) written per transaction at most. */
  maxBatch?: number;
}

/** One write of a batch: a record, or a chunk of quiet removals. */
interface Unit {
  ruleKey: string;
  write(db: PoolConnection, batch: BatchFacts): Promise<void>;
}

/**
 * What the writes of one transaction look up again and again (a storm is many series of
 * few hosts): each host's contacts and facts, read once per batch. Within the transaction,
 * so a retry reads them again.
 */
class BatchFacts {
  private readonly contacts = new Map<string, Promise<ContactRow[]>>();
  private readonly hosts = new Map<string, Promise<HostFacts>>();
  constructor(private readonly db: PoolConnection) {}
  contactsOf(hostId: string): Promise<ContactRow[]> {
    let found = this.contacts.get(hostId);
    if (!found) {
      found = contactRowsOf(this.db, hostId);
      this.contacts.set(hostId, found);
    }
    return found;
  }
  hostOf(hostId: string): Promise<HostFacts> {
    let found = this.hosts.get(hostId);
    if (!found) {
      found = hostFacts(this.db, hostId);
      this.hosts.set(hostId, found);
    }
    return found;
  }
}

const DEFAULT_MAX_BATCH = 200;

/**
 * Writes the engine's records to MariaDB in the order they were made, in batches: what
 * came while a transaction was being written goes into the next one (at most `maxBatch`
 * records each), so a storm costs a commit per batch, not per change. A change upserts
 * alert_states (clearing any acknowledgement), adds its alert_history row and one pending
 * alert_notifications row per contact to tell; a repeat adds rows to the latest history
 * row (unless the state is acknowledged); a flapping change updates the flag. A failed
 * batch is rolled back and retried whole with backoff until it succeeds or the store stops
 * (then the waiting records' promises reject and the consumer requeues their messages): a
 * message is acked only once every record it caused is committed.
 */
export class StateStore implements StateSink {
  private readonly queue: WriteQueue<Unit>;
  private stopped = false;
  private wake?: () => void;
  readonly counters = { written: 0, notifications: 0, skippedAcked: 0, writeFailures: 0, closed: 0 };

  constructor(private readonly opts: StateStoreOptions) {
    this.queue = new WriteQueue<Unit>({ writeBatch: (units) => this.writeWithRetry(units), maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH });
  }

  record(records: StateRecord[]): Promise<void> {
    return this.queue.push(this.unitsOf(records));
  }

  /** Stops retrying: waiting records reject with StateStoreStoppedError. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  start(): void {
    this.stopped = false;
  }

  async load(): Promise<RestoredState[]> {
    const [rows] = await this.opts.pool.query<RowDataPacket[]>(
      `SELECT rule_key, hostid, plugin, field, state, since, last_value, last_point_at, reason, flapping, last_notified_at
         FROM alert_states`,
    );
    const out: RestoredState[] = [];
    for (const r of rows) {
      const ruleKey = RuleKey.safeParse(r.rule_key);
      const state = AlertState.safeParse(r.state);
      const names = [r.hostid, r.plugin, r.field].map((n) => safeName.safeParse(n).success);
      if (!ruleKey.success || !state.success || names.includes(false)) {
        this.opts.logger.warn({ ruleKey: r.rule_key, hostId: r.hostid }, 'alert state row not understood; left out');
        continue;
      }
      out.push({
        ruleKey: ruleKey.data,
        series: { hostId: r.hostid, plugin: r.plugin, field: r.field },
        state: state.data,
        sinceMs: (r.since as Date).getTime(),
        reason: String(r.reason),
        value: r.last_value === null ? null : Number(r.last_value),
        lastPointAtMs: r.last_point_at ? (r.last_point_at as Date).getTime() : null,
        flapping: Boolean(r.flapping),
        lastNotifiedMs: r.last_notified_at ? (r.last_notified_at as Date).getTime() : null,
      });
    }
    return out;
  }

  stats(): Record<string, number> {
    const q = this.queue.counters;
    return { ...this.counters, batches: q.batches, largestBatch: q.largestBatch, waiting: this.queue.waiting };
  }

  /**
   * Writes `write` after every record handed over before it and before any handed over
   * after it (the latest values of the problems, so they never land before the change that
   * made the problem).
   */
  after<T>(write: () => Promise<T>): Promise<T> {
    return this.queue.task(write);
  }

  /** A record per unit; OK states whose rule went (a rule over many series removed) are deleted in chunks. */
  private unitsOf(records: StateRecord[]): Unit[] {
    const units: Unit[] = [];
    const quietRemovals: StateRecord[] = [];
    for (const record of records) {
      if (record.event.kind === 'removed' && record.event.previous === 'OK') quietRemovals.push(record);
      else units.push({ ruleKey: record.ruleKey, write: (db, batch) => this.writeOne(db, record, batch) });
    }
    for (const [ruleKey, keys] of groupSeriesKeys(quietRemovals))
      for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
        const chunk = keys.slice(i, i + DELETE_CHUNK);
        units.push({ ruleKey, write: (db) => deleteStates(db, ruleKey, chunk) });
      }
    return units;
  }

  /** One transaction for the batch, retried whole until it commits or the store stops. */
  private async writeWithRetry(units: Unit[]): Promise<void> {
    let waitMs = this.opts.firstRetryMs ?? 500;
    for (;;) {
      if (this.stopped) throw new StateStoreStoppedError();
      try {
        await transaction(this.opts.pool, async (db) => {
          const batch = new BatchFacts(db);
          for (const unit of units) await unit.write(db, batch);
        });
        this.counters.written += units.length;
        return;
      } catch (error) {
        this.counters.writeFailures++;
        const ruleKey = units[0]?.ruleKey;
        this.opts.logger.warn(
          { reason: (error as Error).message, ruleKey, records: units.length, waitMs },
          'alert state write failed; retrying',
        );
        await this.pause(waitMs);
        waitMs = Math.min(waitMs * 2, this.opts.maxRetryMs ?? 30_000);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.opts.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.opts.clock.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async writeOne(db: PoolConnection, record: StateRecord, batch: BatchFacts): Promise<void> {
    const { event } = record;
    if (event.kind === 'change') {
      const stateId = await this.upsertState(db, record, { clearAck: true, notified: event.notify });
      const historyId = await this.insertHistory(db, stateId, event.previous, record);
      if (event.notify) await this.notify(db, batch, record, historyId, 0, event.notifiedPrevious);
    } else if (event.kind === 'removed') {
      await this.close(db, batch, record, event.previous, event.notify ? event.notifiedPrevious : null);
    } else if (event.kind === 'flapping') {
      const stateId = await this.upsertState(db, record, { clearAck: false, notified: event.notify });
      if (event.notify) await this.notifyAgain(db, batch, stateId, record, event.notifiedPrevious);
    } else {
      const [rows] = await db.query<RowDataPacket[]>(
        'SELECT id, acked_at FROM alert_states WHERE rule_key = ? AND series_key = ? FOR UPDATE',
        [record.ruleKey, seriesKeyOf(record.series)],
      );
      if (rows.length === 0) return;
      if (rows[0].acked_at !== null) {
        this.counters.skippedAcked++;
        return;
      }
      await db.query('UPDATE alert_states SET last_notified_at = ? WHERE id = ?', [new Date(record.atMs), rows[0].id]);
      await this.notifyAgain(db, batch, Number(rows[0].id), record, record.state);
    }
  }

  /**
   * A state whose rule or host is gone: a closing history row (previous → OK, the reason says
   * why) when it was not OK, the notice to whoever heard of the problem, then the row goes.
   * The history stays (migration 6 made its link to the state SET NULL).
   */
  private async close(
    db: PoolConnection,
    batch: BatchFacts,
    r: StateRecord,
    previous: AlertStateName,
    notifiedPrevious: AlertStateName | null,
  ): Promise<void> {
    const [rows] = await db.query<RowDataPacket[]>('SELECT id FROM alert_states WHERE rule_key = ? AND series_key = ? FOR UPDATE', [
      r.ruleKey,
      seriesKeyOf(r.series),
    ]);
    if (rows.length === 0) return;
    const stateId = Number(rows[0].id);
    if (previous !== 'OK') {
      const historyId = await this.insertHistory(db, stateId, previous, r);
      if (notifiedPrevious !== null) await this.notify(db, batch, r, historyId, 0, notifiedPrevious);
    }
    await db.query('DELETE FROM alert_states WHERE id = ?', [stateId]);
    this.counters.closed++;
  }

  /** The state row, created or updated; its id (LAST_INSERT_ID(id) makes an update return it too). */
  private async upsertState(db: PoolConnection, r: StateRecord, how: { clearAck: boolean; notified: boolean }): Promise<number> {
    const ack = how.clearAck ? ', acked_by = NULL, acked_at = NULL, ack_comment = NULL' : '';
    const notified = how.notified ? new Date(r.atMs) : null;
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO alert_states (rule_key, series_key, hostid, plugin, field, state, since, last_value, last_point_at, reason, flapping, last_notified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), state = VALUES(state), since = VALUES(since), last_value = VALUES(last_value),
         last_point_at = VALUES(last_point_at), reason = VALUES(reason), flapping = VALUES(flapping),
         last_notified_at = COALESCE(VALUES(last_notified_at), last_notified_at)${ack}`,
      [
        r.ruleKey,
        seriesKeyOf(r.series),
        r.series.hostId,
        r.series.plugin,
        r.series.field,
        r.state,
        new Date(r.sinceMs),
        r.value,
        r.lastPointAtMs === null ? null : new Date(r.lastPointAtMs),
        r.reason.slice(0, 1024),
        r.flapping,
        notified,
      ],
    );
    return result.insertId;
  }

  private async insertHistory(db: PoolConnection, stateId: number, previous: AlertStateName, r: StateRecord): Promise<number> {
    const [result] = await db.query<ResultSetHeader>(
      `INSERT INTO alert_history (state_id, rule_key, hostid, plugin, field, previous, state, at, value, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        stateId,
        r.ruleKey,
        r.series.hostId,
        r.series.plugin,
        r.series.field,
        previous,
        r.state,
        new Date(r.sinceMs),
        r.value,
        r.reason.slice(0, 1024),
      ],
    );
    return result.insertId;
  }

  /** A notification on the state's latest history row that is not the change itself: a repeat, or the end of flapping. */
  private async notifyAgain(
    db: PoolConnection,
    batch: BatchFacts,
    stateId: number,
    record: StateRecord,
    previous: AlertStateName,
  ): Promise<void> {
    const [history] = await db.query<RowDataPacket[]>('SELECT id FROM alert_history WHERE state_id = ? ORDER BY id DESC LIMIT 1', [
      stateId,
    ]);
    if (history.length === 0) return;
    const historyId = Number(history[0].id);
    const [next] = await db.query<RowDataPacket[]>(
      'SELECT COALESCE(MAX(repeat_no), 0) + 1 AS n FROM alert_notifications WHERE history_id = ?',
      [historyId],
    );
    await this.notify(db, batch, record, historyId, Number(next[0].n), previous);
  }

  private async notify(
    db: PoolConnection,
    batch: BatchFacts,
    r: StateRecord,
    historyId: number,
    repeatNo: number,
    previous: AlertStateName,
  ): Promise<void> {
    const contacts = contactsReached(await batch.contactsOf(r.series.hostId), previous, r.state);
    if (contacts.length === 0) return;
    const host = await batch.hostOf(r.series.hostId);
    const notification = {
      ruleKey: r.ruleKey,
      ruleName: r.ruleName.slice(0, 200),
      series: r.series,
      hostName: host.name.slice(0, 256),
      previous,
      state: r.state,
      changedAt: Math.floor(r.sinceMs / 1000),
      value: r.value,
      reason: r.reason.slice(0, 1024),
      repeat: repeatNo > 0,
      url: notificationLink(this.opts.publicUrl ?? '', host, r.series, r.ruleKey).slice(0, 2048),
    };
    this.counters.notifications += await insertOutboxRows(db, { historyId, repeatNo, notification }, contacts, r.atMs);
  }
}

const DELETE_CHUNK = 500;

function groupSeriesKeys(records: StateRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const list = out.get(r.ruleKey) ?? [];
    list.push(seriesKeyOf(r.series));
    out.set(r.ruleKey, list);
  }
  return out;
}

async function deleteStates(db: PoolConnection, ruleKey: string, seriesKeys: string[]): Promise<void> {
  await db.query('DELETE FROM alert_states WHERE rule_key = ? AND series_key IN (?)', [ruleKey, seriesKeys]);
}
