import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { AlertState, RuleKey } from '../../../../common/schemas/index.js';
import { AlertConfigRepo } from './alerting-config.js';
import { affected, and, type PageRequest, type PageResult, type Scope, searchScope, selectAll, selectPage } from './sql.js';

/**
 * The REST side of alerting: reads the states and history the engine writes (migration 5), and
 * writes acknowledgements and subscriptions. Every query joins the state's `hostid` to the
 * webapp's `hosts h`, so the caller's permission scope (alias `h`) applies; a state of a host the
 * webapp does not know has no `h` row and is seen by superusers only.
 */
/** The rule and series a state or history row names, with its webapp host (null when unknown). */
interface RuleSeriesRow {
  ruleKey: RuleKey;
  ruleName: string;
  hostid: string;
  hostId: number | null;
  hostName: string;
  plugin: string;
  field: string;
}

export interface AlertStateRow extends RuleSeriesRow {
  id: number;
  state: AlertState;
  since: Date;
  value: number | null;
  lastPointAt: Date | null;
  reason: string;
  flapping: boolean;
  ackedBy: string | null;
  ackedAt: Date | null;
  ackComment: string | null;
}

export interface AlertHistoryRow extends RuleSeriesRow {
  id: number;
  /** null once the state row is gone (its rule or host removed). */
  stateId: number | null;
  previous: AlertState;
  state: AlertState;
  at: Date;
  value: number | null;
  reason: string;
}

export interface SeriesRef {
  hostid: string;
  plugin: string;
  field?: string;
}

/** The name shown for a rule key: the user rule's or view's name, or munin's. */
const RULE_NAME = `CASE WHEN x.rule_key = 'munin' THEN 'munin thresholds' ELSE COALESCE(r.name, v.name, x.rule_key) END`;
/** The id in `rule:<id>` / `view:<id>` computed from the state's side, so each join is a primary key lookup. */
const keyId = (prefix: string) => `IF(x.rule_key LIKE '${prefix}:%', CAST(SUBSTRING(x.rule_key, ${prefix.length + 2}) AS UNSIGNED), NULL)`;
const RULE_JOINS = `LEFT JOIN alert_rules r ON r.id = ${keyId('rule')} LEFT JOIN views v ON v.id = ${keyId('view')}`;
const STATE_FROM = `alert_states x LEFT JOIN hosts h ON h.hostid = x.hostid ${RULE_JOINS} LEFT JOIN users au ON au.id = x.acked_by`;
const STATE_COLUMNS = `x.id, x.rule_key, ${RULE_NAME} AS rule_name, x.hostid, h.id AS host_id, COALESCE(h.name, x.hostid) AS host_name,
  x.plugin, x.field, x.state, x.since, x.last_value, x.last_point_at, x.reason, x.flapping, au.username AS acked_by, x.acked_at, x.ack_comment`;
const HISTORY_FROM = `alert_history x LEFT JOIN hosts h ON h.hostid = x.hostid ${RULE_JOINS}`;
const HISTORY_COLUMNS = `x.id, x.state_id, x.rule_key, ${RULE_NAME} AS rule_name, x.hostid, h.id AS host_id,
  COALESCE(h.name, x.hostid) AS host_name, x.plugin, x.field, x.previous, x.state, x.at, x.value, x.reason`;
/** Worst first (CRITICAL, WARNING, UNKNOWN), then the oldest change first: what has been wrong longest leads. */
const PROBLEM_ORDER = `FIELD(x.state, 'CRITICAL', 'WARNING', 'UNKNOWN'), x.since, x.id`;

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function ruleSeriesOf(r: RowDataPacket): RuleSeriesRow {
  return {
    ruleKey: r.rule_key,
    ruleName: String(r.rule_name),
    hostid: r.hostid,
    hostId: nullableNumber(r.host_id),
    hostName: String(r.host_name),
    plugin: r.plugin,
    field: r.field,
  };
}

function toState(r: RowDataPacket): AlertStateRow {
  return {
    id: Number(r.id),
    ...ruleSeriesOf(r),
    state: r.state,
    since: r.since,
    value: nullableNumber(r.last_value),
    lastPointAt: r.last_point_at ?? null,
    reason: r.reason,
    flapping: Boolean(r.flapping),
    ackedBy: r.acked_by ?? null,
    ackedAt: r.acked_at ?? null,
    ackComment: r.ack_comment ?? null,
  };
}

function toHistory(r: RowDataPacket): AlertHistoryRow {
  return {
    id: Number(r.id),
    stateId: nullableNumber(r.state_id),
    ...ruleSeriesOf(r),
    previous: r.previous,
    state: r.state,
    at: r.at,
    value: nullableNumber(r.value),
    reason: r.reason,
  };
}

export class AlertStateRepo {
  constructor(private readonly pool: Pool) {}

  /** Every non-OK state the scope lets through, worst and oldest first. */
  problems(page: PageRequest, hostScope: Scope): Promise<PageResult<AlertStateRow>> {
    const search = searchScope(page.q, ['x.hostid', 'h.name', 'x.plugin', 'x.field', 'x.reason']);
    return selectPage(
      this.pool,
      {
        columns: STATE_COLUMNS,
        from: STATE_FROM,
        scope: and(hostScope, { sql: `x.state <> 'OK'`, params: [] }, search),
        order: PROBLEM_ORDER,
      },
      page,
      toState,
    );
  }

  async get(id: number, hostScope: Scope): Promise<AlertStateRow | null> {
    const scope = and(hostScope, { sql: 'x.id = ?', params: [id] });
    return (await selectAll(this.pool, `SELECT ${STATE_COLUMNS} FROM ${STATE_FROM} WHERE ${scope.sql}`, scope.params, toState))[0] ?? null;
  }

  /** The states (OK included) of these series, for a graph: at most 1000 series per call. */
  async ofSeries(series: readonly SeriesRef[], hostScope: Scope): Promise<AlertStateRow[]> {
    if (!series.length) return [];
    const match = series
      .slice(0, 1000)
      .map((s) => (s.field === undefined ? '(x.hostid = ? AND x.plugin = ?)' : '(x.hostid = ? AND x.plugin = ? AND x.field = ?)'));
    const params = series.slice(0, 1000).flatMap((s) => (s.field === undefined ? [s.hostid, s.plugin] : [s.hostid, s.plugin, s.field]));
    const scope = and(hostScope, { sql: match.join(' OR '), params });
    return selectAll(
      this.pool,
      `SELECT ${STATE_COLUMNS} FROM ${STATE_FROM} WHERE ${scope.sql} ORDER BY x.id LIMIT 5000`,
      scope.params,
      toState,
    );
  }

  /** Newest first; `filter` narrows to one host (its hostid) or one rule. */
  history(page: PageRequest, hostScope: Scope, filter: { hostid?: string; ruleKey?: string }): Promise<PageResult<AlertHistoryRow>> {
    const parts: Scope[] = [hostScope];
    if (filter.hostid !== undefined) parts.push({ sql: 'x.hostid = ?', params: [filter.hostid] });
    if (filter.ruleKey !== undefined) parts.push({ sql: 'x.rule_key = ?', params: [filter.ruleKey] });
    return selectPage(
      this.pool,
      { columns: HISTORY_COLUMNS, from: HISTORY_FROM, scope: and(...parts), order: 'x.at DESC, x.id DESC' },
      page,
      toHistory,
    );
  }

  /**
   * Records who acknowledged a problem, when and why. An OK state cannot be acknowledged (false);
   * the engine clears the acknowledgement at the next change of state.
   */
  async acknowledge(id: number, userId: number, at: Date, comment: string): Promise<boolean> {
    const n = await affected(
      this.pool,
      `UPDATE alert_states SET acked_by = ?, acked_at = ?, ack_comment = ? WHERE id = ? AND state <> 'OK'`,
      [userId, at, comment, id],
    );
    return n > 0;
  }

  async unacknowledge(id: number): Promise<void> {
    await this.pool.query('UPDATE alert_states SET acked_by = NULL, acked_at = NULL, ack_comment = NULL WHERE id = ?', [id]);
  }
}

export interface Subscription {
  hostId: number;
  hostName: string;
  hostid: string;
}

/** Users subscribed to hosts: their own contacts (`contacts.user_id`) get those hosts' alerts. */
export class SubscriptionRepo {
  constructor(private readonly pool: Pool) {}

  ofUser(userId: number, hostScope: Scope): Promise<Subscription[]> {
    const scope = and({ sql: 's.user_id = ?', params: [userId] }, hostScope);
    return selectAll(
      this.pool,
      `SELECT h.id, h.name, h.hostid FROM alert_subscriptions s JOIN hosts h ON h.id = s.host_id WHERE ${scope.sql} ORDER BY h.name, h.id`,
      scope.params,
      (r) => ({ hostId: Number(r.id), hostName: r.name, hostid: r.hostid }),
    );
  }
  async add(userId: number, hostId: number): Promise<void> {
    await this.pool.query('INSERT IGNORE INTO alert_subscriptions (user_id, host_id) VALUES (?, ?)', [userId, hostId]);
  }
  async remove(userId: number, hostId: number): Promise<boolean> {
    return (await affected(this.pool, 'DELETE FROM alert_subscriptions WHERE user_id = ? AND host_id = ?', [userId, hostId])) > 0;
  }
}

/** `repos.alerting`: states and history (read), acknowledgements, subscriptions, and the editable configuration. */
export class AlertingRepo {
  readonly states: AlertStateRepo;
  readonly subscriptions: SubscriptionRepo;
  readonly config: AlertConfigRepo;
  constructor(pool: Pool, now: () => Date) {
    this.states = new AlertStateRepo(pool);
    this.subscriptions = new SubscriptionRepo(pool);
    this.config = new AlertConfigRepo(pool, now);
  }
}
