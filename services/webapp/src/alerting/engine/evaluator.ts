import type { Clock } from '../../../../../common/lifecycle/index.js';
import type { AlertSeries, AlertState, DataMessage, RuleKey } from '../../../../../common/schemas/index.js';
import { type RuleIndex, seriesId } from './rule-index.js';
import type { CompiledRule } from './rules.js';
import {
  type FlapOptions,
  newSeriesState,
  observePoint,
  observeRemoval,
  observeRepeat,
  observeSilence,
  type SeriesState,
  type StateEvent,
} from './series-state.js';
import { type FieldMap, SeriesTable } from './series-table.js';

/** What the store writes for one event: the state as it is after it, and the rule's name. */
export interface StateRecord {
  event: StateEvent;
  ruleKey: RuleKey;
  ruleName: string;
  series: AlertSeries;
  state: AlertState;
  sinceMs: number;
  reason: string;
  value: number | null;
  lastPointAtMs: number | null;
  flapping: boolean;
  atMs: number;
}

/** Persists records in order; resolves once they are committed. */
export interface StateSink {
  record(records: StateRecord[]): Promise<void>;
}

/** A state as the previous run left it (alert_states). */
export interface RestoredState {
  ruleKey: RuleKey;
  series: AlertSeries;
  state: AlertState;
  sinceMs: number;
  reason: string;
  value: number | null;
  lastPointAtMs: number | null;
  flapping: boolean;
  lastNotifiedMs: number | null;
}

/**
 * Evaluates points as they arrive against the rules of the index, keeps every (rule,
 * series) state in memory, and hands the changes to the sink. A data message's promise
 * resolves once its changes are committed, so the consumer acks only what is recorded.
 */
export class AlertEngine {
  private readonly states = new Map<string, SeriesState>();
  /**
   * Per series: the index's rule list and the state of each of its rules, in that order, so
   * a point costs one lookup however many rules its series has (none: an empty list). Asked
   * again of the index only when its generation moved (its rules may have changed).
   */
  private readonly bySeries = new SeriesTable<SeriesRules>(MAX_CACHED_SERIES);
  readonly counters = { points: 0, evaluations: 0, changes: 0, repeats: 0, sweeps: 0, dropped: 0 };

  constructor(private readonly deps: { clock: Clock; index: RuleIndex; sink: StateSink; flap: FlapOptions }) {}

  ingestData(message: DataMessage): Promise<void> | undefined {
    const nowMs = this.deps.clock.nowMs();
    const { flap, index } = this.deps;
    const generation = index.generation;
    const plugins = this.bySeries.pluginsOf(message.hostId);
    let records: StateRecord[] | undefined;
    let points = 0;
    let evaluations = 0;
    for (const point of message.points) {
      const fields = SeriesTable.fieldsOf(plugins, point.plugin);
      for (const field in point.values) {
        points++;
        let series = fields.get(field);
        if (series === undefined || series.generation !== generation) {
          series = this.seriesRules(fields, series, message.hostId, point.plugin, field, nowMs);
        }
        const { rules, states } = series;
        if (rules.length === 0) continue;
        evaluations += rules.length;
        const value = point.values[field];
        for (let i = 0; i < rules.length; i++) {
          const events = observePoint(rules[i], states[i], value, point.timestamp, nowMs, flap);
          if (events.length === 0) continue;
          records ??= [];
          for (const event of events) records.push(this.recordOf(rules[i], states[i], event, nowMs));
        }
      }
    }
    this.counters.points += points;
    this.counters.evaluations += evaluations;
    return records ? this.emit(records) : undefined;
  }

  /** No data limits and repeats of every state; forgets states whose rule is gone. */
  sweep(): Promise<void> | undefined {
    this.counters.sweeps++;
    const nowMs = this.deps.clock.nowMs();
    this.trackKnownSeries(nowMs);
    const records: StateRecord[] = [];
    for (const [key, st] of this.states) {
      const rule = this.deps.index.ruleOf(st.ruleKey, st.series);
      if (!rule) {
        this.states.delete(key);
        this.counters.dropped++;
        records.push(this.removalRecord(st, 'rule removed', nowMs));
        continue;
      }
      const events = [...observeSilence(rule, st, nowMs), ...observeRepeat(rule, st, nowMs)];
      for (const event of events) records.push(this.recordOf(rule, st, event, nowMs));
    }
    return records.length ? this.emit(records) : undefined;
  }

  /** A host deleted from the webapp: every state of its series ends ("host removed"). */
  closeHost(hostId: string): Promise<void> | undefined {
    const nowMs = this.deps.clock.nowMs();
    const records: StateRecord[] = [];
    for (const [key, st] of this.states) {
      if (st.series.hostId !== hostId) continue;
      this.states.delete(key);
      this.counters.dropped++;
      records.push(this.removalRecord(st, 'host removed', nowMs));
    }
    // Cached per-series lists still point at the closed states: rebuilt on the next point.
    this.bySeries.deleteHost(hostId);
    return records.length ? this.emit(records) : undefined;
  }

  /** The previous run's states: evaluation carries on from them, silence counted from now. */
  restore(rows: RestoredState[]): void {
    const nowMs = this.deps.clock.nowMs();
    this.bySeries.clear();
    for (const row of rows) {
      const st = newSeriesState(row.ruleKey, row.series, nowMs);
      Object.assign(st, {
        state: row.state,
        sinceMs: row.sinceMs,
        reason: row.reason,
        value: row.value,
        lastPointS: row.lastPointAtMs === null ? null : row.lastPointAtMs / 1000,
        flapping: row.flapping,
        notifiedState: row.state,
        lastNotifiedMs: row.lastNotifiedMs,
      });
      this.states.set(stateKey(row.ruleKey, row.series.hostId, row.series.plugin, row.series.field), st);
    }
  }

  /** Current states, for tests and the service's stats. */
  snapshot(): ReadonlyMap<string, Readonly<SeriesState>> {
    return this.states;
  }

  stats(): Record<string, number> {
    let problems = 0;
    for (const st of this.states.values()) if (st.state !== 'OK') problems++;
    return { ...this.counters, states: this.states.size, problems };
  }

  /**
   * Series named by munin thresholds and exact rules are watched before they send anything,
   * so a poller that stopped before the engine started still trips its no-data limits.
   */
  private trackKnownSeries(nowMs: number): void {
    for (const series of this.deps.index.muninSeries()) {
      const rule = this.deps.index.ruleOf('munin', series);
      if (rule?.nodata.length) this.stateOf(rule, series.hostId, series.plugin, series.field, nowMs);
    }
    for (const { rule, series } of this.deps.index.exactSeries()) {
      if (rule.nodata.length) this.stateOf(rule, series.hostId, series.plugin, series.field, nowMs);
    }
  }

  /** A series met for the first time, or since the index changed: its rules, and its states if they changed. */
  private seriesRules(
    fields: FieldMap<SeriesRules>,
    known: SeriesRules | undefined,
    hostId: string,
    plugin: string,
    field: string,
    nowMs: number,
  ): SeriesRules {
    const generation = this.deps.index.generation;
    const id = seriesId(hostId, plugin, field);
    const rules = this.deps.index.rulesForId(id, hostId, plugin, field);
    if (known?.rules === rules) {
      known.generation = generation;
      return known;
    }
    // One series object for all its states (they never change it).
    const series = known?.states[0]?.series ?? { hostId, plugin, field };
    const states = rules.map((rule) => this.stateOfId(rule, id, series, nowMs));
    const entry = { generation, rules, states };
    this.bySeries.add(fields, field, entry);
    return entry;
  }

  private stateOf(rule: CompiledRule, hostId: string, plugin: string, field: string, nowMs: number): SeriesState {
    return this.stateOfId(rule, seriesId(hostId, plugin, field), { hostId, plugin, field }, nowMs);
  }

  /** The state of `rule` on the series `id` (`series` is that series), made on first use. */
  private stateOfId(rule: CompiledRule, id: string, series: AlertSeries, nowMs: number): SeriesState {
    const key = `${rule.key}\0${id}`;
    let st = this.states.get(key);
    if (!st) {
      st = newSeriesState(rule.key, series, nowMs);
      this.states.set(key, st);
    }
    return st;
  }

  private recordOf(rule: CompiledRule, st: SeriesState, event: StateEvent, nowMs: number): StateRecord {
    if (event.kind === 'change') this.counters.changes++;
    if (event.kind === 'repeat') this.counters.repeats++;
    return {
      event,
      ruleKey: rule.key,
      ruleName: rule.name,
      series: st.series,
      state: st.state,
      sinceMs: st.sinceMs,
      reason: st.reason,
      value: st.value,
      lastPointAtMs: st.lastPointS === null ? null : st.lastPointS * 1000,
      flapping: st.flapping,
      atMs: nowMs,
    };
  }

  private removalRecord(st: SeriesState, why: string, nowMs: number): StateRecord {
    const event = observeRemoval(st, why, nowMs);
    const { series, state, sinceMs, reason, value } = st;
    const lastPointAtMs = st.lastPointS === null ? null : st.lastPointS * 1000;
    // The rule may be gone: its key names it in the notice.
    const ruleName = `${st.ruleKey} (${why})`;
    return { event, ruleKey: st.ruleKey, ruleName, series, state, sinceMs, reason, value, lastPointAtMs, flapping: false, atMs: nowMs };
  }

  private emit(records: StateRecord[]): Promise<void> {
    return this.deps.sink.record(records);
  }
}

interface SeriesRules {
  /** The index's generation when `rules` was asked for. */
  generation: number;
  rules: CompiledRule[];
  states: SeriesState[];
}

/** Series whose rule states are cached at most, as the index's own cache (memory stays bounded). */
const MAX_CACHED_SERIES = 1_000_000;

function stateKey(ruleKey: RuleKey, hostId: string, plugin: string, field: string): string {
  return `${ruleKey}\0${seriesId(hostId, plugin, field)}`;
}
