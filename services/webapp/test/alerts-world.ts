import { createHash } from 'node:crypto';
import type { Pool, ResultSetHeader } from 'mysql2/promise';
import type { AlertState } from '../../../common/schemas/index.js';

/**
 * Rows as the alerting engine writes them (migration 5), seeded directly: the UI's tests do not
 * wait for the engine, which is built in parallel and writes the same tables.
 */
export interface SeededState {
  ruleKey?: string;
  hostid: string;
  plugin: string;
  field: string;
  state: AlertState;
  since: Date;
  value?: number | null;
  reason?: string;
  previous?: AlertState;
}

export function seriesKey(hostid: string, plugin: string, field: string): string {
  return createHash('sha256').update(`${hostid}\0${plugin}\0${field}`).digest('hex');
}

/** One alert_states row and the alert_history row of its last change; returns the state's id. */
export async function seedState(pool: Pool, s: SeededState): Promise<number> {
  const ruleKey = s.ruleKey ?? 'munin';
  const [state] = await pool.query<ResultSetHeader>(
    `INSERT INTO alert_states (rule_key, series_key, hostid, plugin, field, state, since, last_value, last_point_at, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      ruleKey,
      seriesKey(s.hostid, s.plugin, s.field),
      s.hostid,
      s.plugin,
      s.field,
      s.state,
      s.since,
      s.value ?? null,
      s.since,
      s.reason ?? '',
    ],
  );
  await seedHistory(pool, state.insertId, { ...s, ruleKey }, s.previous ?? 'OK', s.since);
  return state.insertId;
}

export async function seedHistory(pool: Pool, stateId: number, s: SeededState, previous: AlertState, at: Date): Promise<number> {
  const [row] = await pool.query<ResultSetHeader>(
    `INSERT INTO alert_history (state_id, rule_key, hostid, plugin, field, previous, state, at, value, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [stateId, s.ruleKey ?? 'munin', s.hostid, s.plugin, s.field, previous, s.state, at, s.value ?? null, s.reason ?? ''],
  );
  return row.insertId;
}
