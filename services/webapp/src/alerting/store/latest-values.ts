import type { Pool } from 'mysql2/promise';
import type { AlertState } from '../../../../../common/schemas/index.js';
import { transaction } from '../../repos/sql.js';
import type { SeriesState } from '../engine/series-state.js';
import { seriesKeyOf } from './outbox.js';

/** Rows per UPDATE statement: one statement per chunk, not per row. */
const CHUNK = 500;

interface Pending {
  st: Readonly<SeriesState>;
  ruleKey: string;
  seriesKey: string;
  state: AlertState;
  value: number | null;
  at: Date;
  reason: string;
  mark: string;
}

/**
 * The latest value of every problem, written to its alert_states row now and then instead of
 * at every point (a change of state is written at once by the StateStore; this only keeps
 * `last_value`, `last_point_at` and the reason's words current for the Problems page). Only
 * non-OK states are written (their row exists: the change that made them wrote it), at most
 * `maxRows` per flush, the ones not written since their last point first in map order; a row
 * whose state moved on in between is left alone (the UPDATE matches the state too).
 */
export class LatestValueWriter {
  /** What was last written per state object (point time, value, state); forgotten with the object when the engine drops it. */
  private readonly written = new WeakMap<Readonly<SeriesState>, string>();
  readonly counters = { flushes: 0, rows: 0 };

  constructor(private readonly opts: { pool: Pool; maxRows: number }) {}

  /** What must be written, taken now (synchronously) from the engine's states. */
  collect(states: Iterable<Readonly<SeriesState>>): Pending[] {
    const out: Pending[] = [];
    for (const st of states) {
      // Two points may share a timestamp: the value and state are part of what was written.
      if (st.state === 'OK' || st.lastPointS === null || this.written.get(st) === writtenMark(st)) continue;
      out.push({
        st,
        ruleKey: st.ruleKey,
        seriesKey: seriesKeyOf(st.series),
        state: st.state,
        value: st.value,
        at: new Date(st.lastPointS * 1000),
        reason: st.reason.slice(0, 1024),
        mark: writtenMark(st),
      });
      if (out.length >= this.opts.maxRows) break;
    }
    return out;
  }

  /** Writes what `collect` took, in one transaction; returns the rows sent. */
  async write(pending: Pending[]): Promise<number> {
    if (pending.length === 0) return 0;
    await transaction(this.opts.pool, async (db) => {
      for (let i = 0; i < pending.length; i += CHUNK) {
        const chunk = pending.slice(i, i + CHUNK);
        const rows = chunk.map(() => 'SELECT ? AS rule_key, ? AS series_key, ? AS state, ? AS v, ? AS at, ? AS reason').join(' UNION ALL ');
        await db.query(
          `UPDATE alert_states s JOIN (${rows}) u ON s.rule_key = u.rule_key AND s.series_key = u.series_key AND s.state = u.state
             SET s.last_value = u.v, s.last_point_at = u.at, s.reason = u.reason`,
          chunk.flatMap((p) => [p.ruleKey, p.seriesKey, p.state, p.value, p.at, p.reason]),
        );
      }
    });
    for (const p of pending) this.written.set(p.st, p.mark);
    this.counters.flushes++;
    this.counters.rows += pending.length;
    return pending.length;
  }
}

function writtenMark(st: Readonly<SeriesState>): string {
  return `${st.lastPointS}|${st.value}|${st.state}|${st.reason}`;
}
