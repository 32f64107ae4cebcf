import type { AlertSeries, AlertState, RuleKey } from '../../../../../common/schemas/index.js';
import { type CompiledRule, type LevelVerdict, levelOfSilence, levelOfValue } from './rules.js';

/**
 * The state machine of one rule on one series, in memory (the store persists what it
 * emits). A point gives a verdict; the state follows a verdict that held for the rule's
 * hold (points and seconds, by point timestamps). Silence longer than a nodata limit
 * changes the state at once. Flapping (Nagios' percent state change over the last
 * `window` verdicts, weighted toward the newest, with start/stop hysteresis) keeps the
 * states and history honest but stops notifications until it calms down.
 */
export interface SeriesState {
  ruleKey: RuleKey;
  series: AlertSeries;
  state: AlertState;
  sinceMs: number;
  reason: string;
  value: number | null;
  /** Engine clock time of the last non-null point (or of tracking start). */
  lastSeenMs: number;
  /** Timestamp (ms) of the last non-null point, as the poller stamped it. */
  lastPointAtMs: number | null;
  pending: { state: AlertState; reason: string; firstPointS: number; points: number } | null;
  /** Recent verdicts, newest last, at most the flapping window. */
  recent: AlertState[];
  flapping: boolean;
  /** What contacts were last told (a recovery reaches whoever got the problem). */
  notifiedState: AlertState;
  lastNotifiedMs: number | null;
}

export interface FlapOptions {
  /** Verdicts considered; 0 turns flapping detection off. */
  window: number;
  startPercent: number;
  stopPercent: number;
}

/** What the store must record: a change (history row), a repeat, or a flapping flag change. */
export type StateEvent =
  | { kind: 'change'; previous: AlertState; notify: boolean; notifiedPrevious: AlertState }
  | { kind: 'repeat' }
  | { kind: 'flapping'; flapping: boolean; notify: boolean; notifiedPrevious: AlertState };

export function newSeriesState(ruleKey: RuleKey, series: AlertSeries, nowMs: number): SeriesState {
  return {
    ruleKey,
    series,
    state: 'OK',
    sinceMs: nowMs,
    reason: '',
    value: null,
    lastSeenMs: nowMs,
    lastPointAtMs: null,
    pending: null,
    recent: [],
    flapping: false,
    notifiedState: 'OK',
    lastNotifiedMs: null,
  };
}

/** One point (`value` null = unknown) at `pointS` seconds, received at `nowMs`. */
export function observePoint(
  rule: CompiledRule,
  st: SeriesState,
  value: number | null,
  pointS: number,
  nowMs: number,
  flap: FlapOptions,
): StateEvent[] {
  let verdict: LevelVerdict;
  if (value === null) {
    if (rule.unknownPoints === null) return [];
    verdict = { state: 'UNKNOWN', reason: 'value unknown' };
  } else {
    st.lastSeenMs = nowMs;
    st.lastPointAtMs = pointS * 1000;
    st.value = value;
    verdict = levelOfValue(rule, value);
  }
  const events = recordVerdict(st, verdict.state, flap);
  if (verdict.state === st.state) {
    st.pending = null;
    if (st.state !== 'OK') st.reason = verdict.reason;
    return events;
  }
  if (st.pending?.state === verdict.state) st.pending.points++;
  else st.pending = { state: verdict.state, reason: verdict.reason, firstPointS: pointS, points: 1 };
  st.pending.reason = verdict.reason;
  const needed = verdict.state === 'UNKNOWN' && rule.unknownPoints !== null ? rule.unknownPoints : rule.hold.points;
  const heldS = pointS - st.pending.firstPointS;
  if (st.pending.points < needed || heldS < rule.hold.seconds) return events;
  const reason = `${verdict.reason}${holdWords(st.pending.points, heldS, needed, rule.hold.seconds)}`;
  return [...events, change(st, verdict.state, reason, nowMs)];
}

/** A sweep: the nodata limits, against the engine clock. */
export function observeSilence(rule: CompiledRule, st: SeriesState, nowMs: number): StateEvent[] {
  const verdict = levelOfSilence(rule, nowMs - st.lastSeenMs);
  if (verdict === null || verdict.state === st.state) return [];
  st.pending = null;
  return [change(st, verdict.state, verdict.reason, nowMs)];
}

/** Whether a repeat is due now; if so the state notes it as sent (the store skips acknowledged ones). */
export function observeRepeat(rule: CompiledRule, st: SeriesState, nowMs: number): StateEvent[] {
  if (rule.repeatMinutes <= 0 || st.state === 'OK' || st.flapping) return [];
  const last = st.lastNotifiedMs ?? st.sinceMs;
  if (nowMs - last < rule.repeatMinutes * 60_000) return [];
  st.lastNotifiedMs = nowMs;
  return [{ kind: 'repeat' }];
}

function change(st: SeriesState, state: AlertState, reason: string, nowMs: number): StateEvent {
  const previous = st.state;
  const notifiedPrevious = st.notifiedState;
  st.state = state;
  st.sinceMs = nowMs;
  st.reason = reason;
  st.pending = null;
  const notify = !st.flapping && state !== st.notifiedState;
  if (notify) {
    st.notifiedState = state;
    st.lastNotifiedMs = nowMs;
  }
  return { kind: 'change', previous, notify, notifiedPrevious };
}

function holdWords(points: number, heldS: number, neededPoints: number, neededS: number): string {
  if (neededS > 0) return ` for ${heldS} s (${points} points)`;
  return neededPoints > 1 ? ` for ${points} points` : '';
}

/** Adds a verdict to the window and starts or stops flapping (with hysteresis). */
function recordVerdict(st: SeriesState, verdict: AlertState, flap: FlapOptions): StateEvent[] {
  if (flap.window < 3) return [];
  st.recent.push(verdict);
  if (st.recent.length > flap.window) st.recent.shift();
  const percent = percentStateChange(st.recent, flap.window);
  if (!st.flapping && percent >= flap.startPercent) {
    st.flapping = true;
    return [{ kind: 'flapping', flapping: true, notify: false, notifiedPrevious: st.notifiedState }];
  }
  if (st.flapping && percent < flap.stopPercent) {
    st.flapping = false;
    const notifiedPrevious = st.notifiedState;
    // Calm again: tell contacts where it settled if that is not what they last heard.
    const notify = st.state !== st.notifiedState;
    if (notify) {
      st.notifiedState = st.state;
      st.lastNotifiedMs = st.sinceMs;
    }
    return [{ kind: 'flapping', flapping: false, notify, notifiedPrevious }];
  }
  return [];
}

/**
 * Nagios' percent state change: each change between consecutive verdicts counts with a
 * weight from 0.8 (oldest) to 1.2 (newest), over `window - 1` possible changes.
 */
export function percentStateChange(recent: readonly AlertState[], window: number): number {
  if (recent.length < 2) return 0;
  const slots = window - 1;
  const offset = slots - (recent.length - 1);
  let total = 0;
  for (let i = 1; i < recent.length; i++) {
    if (recent[i] === recent[i - 1]) continue;
    total += 0.8 + (0.4 * (offset + i - 1)) / Math.max(1, slots - 1);
  }
  return (100 * total) / slots;
}
