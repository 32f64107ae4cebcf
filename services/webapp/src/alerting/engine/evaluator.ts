import type { Clock } from '../../../../../common/lifecycle/index.js';
import type { AlertSeries, AlertState, DataMessage, RuleKey } from '../../../../../common/schemas/index.js';
import { type RuleIndex, seriesId } from './rule-index.js';
import { type CompiledRule, certainlyOkRange } from './rules.js';
import {
  type FlapOptions,
  isSettled,
  newSeriesState,
  newSeriesTrack,
  observePoint,
  observeRemoval,
  observeRepeat,
  observeSilence,
  SeriesState,
  type SeriesTrack,
  type StateEvent,
  unsettle,
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
 *
 * A point costs about the same with rules as without, however many match its series: the
 * series' rule list is cached (bySeries), and while every state of the series is settled a
 * point inside the list's certainly-OK range only writes the series' latest point (its
 * SeriesTrack, shared by the states); the rules are evaluated one by one for the others.
 */
export class AlertEngine {
  /** Every state, by series (nested maps: no key string per state), each track holding its states. */
  private readonly tracks = new SeriesTable<SeriesTrack>(Number.POSITIVE_INFINITY);
  /**
   * Per series: the index's rule list, the state of each of its rules in that order, and
   * their certainly-OK range. Asked again of the index only when its generation moved.
   */
  private readonly bySeries = new SeriesTable<SeriesRules>(MAX_CACHED_SERIES);
  /** The index generation whose known series were last tracked (trackKnownSeries). */
  private trackedGeneration = -1;
  private stateCount = 0;
  private problemCount = 0;
  /** `calm`: values whose rules were all answered by the calm path (counted in `evaluations` too). */
  readonly counters = { points: 0, evaluations: 0, calm: 0, changes: 0, repeats: 0, sweeps: 0, dropped: 0 };

  constructor(private readonly deps: { clock: Clock; index: RuleIndex; sink: StateSink; flap: FlapOptions }) {}

  ingestData(message: DataMessage): Promise<void> | undefined {
    const nowMs = this.deps.clock.nowMs();
    const { flap, index } = this.deps;
    const generation = index.generation;
    const plugins = this.bySeries.pluginsOf(message.hostId);
    let records: StateRecord[] | undefined;
    let points = 0;
    let evaluations = 0;
    let calm = 0;
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
        const track = series.track as SeriesTrack;
        const value = point.values[field];
        if (value !== null && track.calm === states && value >= series.low && value <= series.high) {
          // Every rule would answer OK and change nothing (see SeriesTrack.calm).
          track.lastSeenMs = nowMs;
          track.lastPointS = point.timestamp;
          track.value = value;
          track.calmPoints++;
          calm++;
          continue;
        }
        unsettle(track, flap);
        let settled = true;
        for (let i = 0; i < rules.length; i++) {
          const events = observePoint(rules[i], states[i], value, point.timestamp, nowMs, flap);
          if (settled && !isSettled(states[i], flap)) settled = false;
          if (events.length === 0) continue;
          records ??= [];
          for (const event of events) records.push(this.recordOf(rules[i], states[i], event, nowMs));
        }
        if (settled) track.calm = states;
      }
    }
    this.counters.points += points;
    this.counters.evaluations += evaluations;
    this.counters.calm += calm;
    return records ? this.emit(records) : undefined;
  }

  /** No data limits and repeats of every state; forgets states whose rule is gone. */
  sweep(): Promise<void> | undefined {
    this.counters.sweeps++;
    const nowMs = this.deps.clock.nowMs();
    const { index, flap } = this.deps;
    if (this.trackedGeneration !== index.generation) {
      this.trackKnownSeries(nowMs);
      this.trackedGeneration = index.generation;
    }
    const records: StateRecord[] = [];
    const emptied: SeriesTrack[] = [];
    for (const track of this.tracks.values()) {
      let gone: Set<SeriesState> | undefined;
      for (const st of track.states) {
        const rule = index.ruleOf(st.ruleKey, track.series);
        if (!rule) {
          gone ??= new Set();
          gone.add(st);
          records.push(this.removalRecord(st, 'rule removed', nowMs));
          continue;
        }
        const events = [...observeSilence(rule, st, nowMs), ...observeRepeat(rule, st, nowMs)];
        if (events.length > 0) unsettle(track, flap);
        for (const event of events) records.push(this.recordOf(rule, st, event, nowMs));
      }
      if (gone === undefined) continue;
      unsettle(track, flap);
      const kept = track.states.filter((st) => !gone.has(st));
      track.states = kept;
      if (kept.length === 0) emptied.push(track);
    }
    for (const { series } of emptied) this.tracks.delete(series.hostId, series.plugin, series.field);
    return records.length ? this.emit(records) : undefined;
  }

  /** A host deleted from the webapp: every state of its series ends ("host removed"). */
  closeHost(hostId: string): Promise<void> | undefined {
    const nowMs = this.deps.clock.nowMs();
    const records: StateRecord[] = [];
    for (const track of this.tracks.deleteHost(hostId)) {
      for (const st of track.states) records.push(this.removalRecord(st, 'host removed', nowMs));
    }
    // Cached per-series lists still point at the closed states: rebuilt on the next point.
    this.bySeries.deleteHost(hostId);
    return records.length ? this.emit(records) : undefined;
  }

  /** The previous run's states (and only them): evaluation carries on from them, silence counted from now. */
  restore(rows: RestoredState[]): void {
    const nowMs = this.deps.clock.nowMs();
    this.bySeries.clear();
    this.tracks.clear();
    this.trackedGeneration = -1;
    this.stateCount = 0;
    this.problemCount = 0;
    for (const row of rows) {
      const { hostId, plugin, field } = row.series;
      const track = this.tracks.getOrAdd(hostId, plugin, field, () => newSeriesTrack(row.series, nowMs));
      const lastPointS = row.lastPointAtMs === null ? null : row.lastPointAtMs / 1000;
      // One latest point per series: the newest any of its rows saw.
      if (lastPointS !== null && (track.lastPointS === null || lastPointS > track.lastPointS)) {
        track.lastPointS = lastPointS;
        track.value = row.value;
      }
      const st = new SeriesState(row.ruleKey, track, row.sinceMs, nowMs);
      st.state = row.state;
      st.reason = row.reason;
      st.flapping = row.flapping;
      st.notifiedState = row.state;
      st.lastNotifiedMs = row.lastNotifiedMs;
      track.states.push(st);
      this.stateCount++;
      if (row.state !== 'OK') this.problemCount++;
    }
  }

  /** Every current state (the latest values' flush reads them). */
  *states(): IterableIterator<Readonly<SeriesState>> {
    for (const track of this.tracks.values()) yield* track.states;
  }

  /** Current states by `rule\0host\0plugin\0field`, for tests (built on each call). */
  snapshot(): ReadonlyMap<string, Readonly<SeriesState>> {
    const out = new Map<string, Readonly<SeriesState>>();
    for (const st of this.states()) out.set(stateKey(st.ruleKey, st.series.hostId, st.series.plugin, st.series.field), st);
    return out;
  }

  stats(): Record<string, number> {
    return { ...this.counters, states: this.stateCount, problems: this.problemCount };
  }

  /**
   * Series named by munin thresholds and exact rules are watched before they send anything,
   * so a poller that stopped before the engine started still trips its no-data limits.
   */
  private trackKnownSeries(nowMs: number): void {
    for (const series of this.deps.index.muninSeries()) {
      const rule = this.deps.index.ruleOf('munin', series);
      if (rule?.nodata.length) this.stateIn(this.trackOf(series.hostId, series.plugin, series.field, nowMs), rule, nowMs);
    }
    for (const { rule, series } of this.deps.index.exactSeries()) {
      if (rule.nodata.length) this.stateIn(this.trackOf(series.hostId, series.plugin, series.field, nowMs), rule, nowMs);
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
    const rules = this.deps.index.rulesForId(seriesId(hostId, plugin, field), hostId, plugin, field);
    if (known?.rules === rules) {
      known.generation = generation;
      return known;
    }
    let entry: SeriesRules = { generation, rules, states: [], track: null, low: 0, high: -1 };
    if (rules.length > 0) {
      const track = this.trackOf(hostId, plugin, field, nowMs);
      unsettle(track, this.deps.flap);
      const states = this.statesIn(track, rules, nowMs);
      let low = Number.NEGATIVE_INFINITY;
      let high = Number.POSITIVE_INFINITY;
      for (const rule of rules) {
        const range = certainlyOkRange(rule);
        low = Math.max(low, range.low);
        high = Math.min(high, range.high);
      }
      entry = { generation, rules, states, track, low, high };
    }
    this.bySeries.add(fields, field, entry);
    return entry;
  }

  private trackOf(hostId: string, plugin: string, field: string, nowMs: number): SeriesTrack {
    return this.tracks.getOrAdd(hostId, plugin, field, () => newSeriesTrack({ hostId, plugin, field }, nowMs));
  }

  /** The state of `rule` on the track's series, made on first use (a series has a few rules: a walk finds it). */
  private stateIn(track: SeriesTrack, rule: CompiledRule, nowMs: number): SeriesState {
    for (const st of track.states) if (st.ruleKey === rule.key) return st;
    this.stateCount++;
    return newSeriesState(rule.key, track.series, nowMs, track);
  }

  /** stateIn for each rule, in their order; by rule key when the series has many states already. */
  private statesIn(track: SeriesTrack, rules: CompiledRule[], nowMs: number): SeriesState[] {
    if (track.states.length <= 8) return rules.map((rule) => this.stateIn(track, rule, nowMs));
    const known = new Map(track.states.map((st) => [st.ruleKey, st]));
    return rules.map((rule) => {
      const st = known.get(rule.key);
      if (st) return st;
      this.stateCount++;
      return newSeriesState(rule.key, track.series, nowMs, track);
    });
  }

  private recordOf(rule: CompiledRule, st: SeriesState, event: StateEvent, nowMs: number): StateRecord {
    if (event.kind === 'change') {
      this.counters.changes++;
      this.problemCount += (st.state === 'OK' ? 0 : 1) - (event.previous === 'OK' ? 0 : 1);
    }
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

  /** A state leaves the engine (its rule or host is gone): the record that closes it. */
  private removalRecord(st: SeriesState, why: string, nowMs: number): StateRecord {
    this.counters.dropped++;
    this.stateCount--;
    if (st.state !== 'OK') this.problemCount--;
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
  /** The series' track; null when it has no rules (such series get no track). */
  track: SeriesTrack | null;
  /** Values in [low, high] are OK under every rule of the list (certainlyOkRange). */
  low: number;
  high: number;
}

/** Series whose rule states are cached at most, as the index's own cache (memory stays bounded). */
const MAX_CACHED_SERIES = 1_000_000;

function stateKey(ruleKey: RuleKey, hostId: string, plugin: string, field: string): string {
  return `${ruleKey}\0${seriesId(hostId, plugin, field)}`;
}
