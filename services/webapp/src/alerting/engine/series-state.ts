import type { AlertSeries, AlertState, RuleKey } from '../../../../../common/schemas/index.js';
import { type CompiledRule, levelOfSilence, reasonOfValue, stateOfValue } from './rules.js';

/** What most points return: nothing to record (shared, never written to). */
const NO_EVENTS: readonly StateEvent[] = Object.freeze([]);
/** A steady window's `recent` (shared: pushVerdict replaces it before it ever pushes). */
const STEADY: AlertState[] = Object.freeze([]) as unknown as AlertState[];

/**
 * What every state of one series shares: the series, its latest point, and whether its
 * states are calm (see `calm`). A point is written here once, whatever the number of rules.
 */
export interface SeriesTrack {
  series: AlertSeries;
  /** Engine clock time of the last non-null point (or of tracking start). */
  lastSeenMs: number;
  /**
   * Timestamp (seconds) of the last non-null point, as the poller stamped it: the message's
   * own number, kept as it is (milliseconds would be a new heap number per point).
   */
  lastPointS: number | null;
  value: number | null;
  /** Every state of the series (one per rule that has seen it or watches it). */
  states: SeriesState[];
  /**
   * The engine's rule-state list of this series while every state in it is settled
   * (isSettled): a point inside the list's certainly-OK range then changes nothing but
   * the latest point and the flapping windows' counts, which `calmPoints` keeps for all of
   * them until unsettle() hands each its share. Null otherwise.
   */
  calm: readonly SeriesState[] | null;
  calmPoints: number;
}

export function newSeriesTrack(series: AlertSeries, nowMs: number): SeriesTrack {
  return { series, lastSeenMs: nowMs, lastPointS: null, value: null, states: [], calm: null, calmPoints: 0 };
}

/**
 * The state machine of one rule on one series, in memory (the store persists what it
 * emits). A point gives a verdict; the state follows a verdict that held for the rule's
 * hold (points and seconds, by point timestamps). Silence longer than a nodata limit
 * changes the state at once. Flapping (Nagios' percent state change over the last
 * `window` verdicts, weighted toward the newest, with start/stop hysteresis) keeps the
 * states and history honest but stops notifications until it calms down.
 */
export class SeriesState {
  state: AlertState = 'OK';
  reason = '';
  pending: { state: AlertState; reason: string; firstPointS: number; points: number } | null = null;
  /**
   * The flapping window (at most `window` verdicts), in one of two forms. Steady (every
   * verdict the same, as for most series): `recent` is empty and the window is
   * `steadyCount` times `steadyVerdict`, so a point writes one number and allocates
   * nothing. Otherwise `recent` lists the verdicts, newest last, and `recentChanges`
   * counts the neighbours that differ; back to steady when that count is 0.
   */
  recent: AlertState[] = STEADY;
  recentChanges = 0;
  steadyVerdict: AlertState = 'OK';
  steadyCount = 0;
  flapping = false;
  /** What contacts were last told (a recovery reaches whoever got the problem). */
  notifiedState: AlertState = 'OK';
  lastNotifiedMs: number | null = null;

  constructor(
    readonly ruleKey: RuleKey,
    readonly track: SeriesTrack,
    /** Time of the last change (of the state's start). */
    public sinceMs: number,
    /** When this state began watching its series: silence is counted from then at the earliest. */
    readonly trackedMs: number = sinceMs,
  ) {}

  get series(): AlertSeries {
    return this.track.series;
  }

  get value(): number | null {
    return this.track.value;
  }

  get lastPointS(): number | null {
    return this.track.lastPointS;
  }

  /** Engine clock time of the series' last non-null point, or of this state's start if later. */
  get lastSeenMs(): number {
    return Math.max(this.track.lastSeenMs, this.trackedMs);
  }
}

export interface FlapOptions {
  /** Verdicts considered; 0 turns flapping detection off. */
  window: number;
  startPercent: number;
  stopPercent: number;
}

/**
 * What the store must record: a change (history row), a repeat, a flapping flag change, or the
 * end of a state whose rule or host is gone (a closing history row when it was not OK, a notice
 * to whoever was told of the problem, and the state row deleted).
 */
export type StateEvent =
  | { kind: 'change'; previous: AlertState; notify: boolean; notifiedPrevious: AlertState }
  | { kind: 'repeat' }
  | { kind: 'flapping'; flapping: boolean; notify: boolean; notifiedPrevious: AlertState }
  | { kind: 'removed'; previous: AlertState; notify: boolean; notifiedPrevious: AlertState };

/** A new OK state of `ruleKey` on the track's series (a track of its own when none is given). */
export function newSeriesState(ruleKey: RuleKey, series: AlertSeries, nowMs: number, track = newSeriesTrack(series, nowMs)): SeriesState {
  const st = new SeriesState(ruleKey, track, nowMs);
  track.states.push(st);
  return st;
}

/**
 * Whether a point with an OK verdict would change nothing but its window's count: OK,
 * nothing pending, a steady OK window, not flapping (and a flapping start above 0 %).
 */
export function isSettled(st: SeriesState, flap: FlapOptions): boolean {
  if (st.state !== 'OK' || st.pending !== null || st.flapping) return false;
  return flap.window < 3 || (st.recent.length === 0 && st.steadyVerdict === 'OK' && flap.startPercent > 0);
}

/** The track is no longer calm: each of its calm states gets the OK verdicts it was spared. */
export function unsettle(track: SeriesTrack, flap: FlapOptions): void {
  const calm = track.calm;
  if (calm === null) return;
  track.calm = null;
  const spared = track.calmPoints;
  track.calmPoints = 0;
  if (spared === 0) return;
  for (const st of calm) st.steadyCount = Math.min(flap.window, st.steadyCount + spared);
}

/**
 * One point (`value` null = unknown) at `pointS` seconds, received at `nowMs`. This runs
 * for every rule of every point, so the usual case (the verdict is the state, OK) builds
 * nothing: no reason text, no event array.
 */
export function observePoint(
  rule: CompiledRule,
  st: SeriesState,
  value: number | null,
  pointS: number,
  nowMs: number,
  flap: FlapOptions,
): readonly StateEvent[] {
  let verdict: AlertState;
  if (value === null) {
    if (rule.unknownPoints === null) return NO_EVENTS;
    verdict = 'UNKNOWN';
  } else {
    const track = st.track;
    track.lastSeenMs = nowMs;
    track.lastPointS = pointS;
    track.value = value;
    verdict = stateOfValue(rule, value);
  }
  const events = flap.window < 3 ? NO_EVENTS : recordVerdict(st, verdict, flap);
  if (verdict === st.state) {
    st.pending = null;
    if (verdict !== 'OK') st.reason = reasonOf(rule, value);
    return events;
  }
  const because = reasonOf(rule, value);
  if (st.pending?.state === verdict) st.pending.points++;
  else st.pending = { state: verdict, reason: because, firstPointS: pointS, points: 1 };
  st.pending.reason = because;
  const needed = verdict === 'UNKNOWN' && rule.unknownPoints !== null ? rule.unknownPoints : rule.hold.points;
  const heldS = pointS - st.pending.firstPointS;
  if (st.pending.points < needed || heldS < rule.hold.seconds) return events;
  const reason = `${because}${holdWords(st.pending.points, heldS, needed, rule.hold.seconds)}`;
  return [...events, change(st, verdict, reason, nowMs)];
}

function reasonOf(rule: CompiledRule, value: number | null): string {
  return value === null ? 'value unknown' : reasonOfValue(rule, value);
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

/** The state's rule or host is gone (`why` says which): it ends as OK; contacts told of a problem hear it ended. */
export function observeRemoval(st: SeriesState, why: string, nowMs: number): StateEvent {
  const previous = st.state;
  const notifiedPrevious = st.notifiedState;
  st.state = 'OK';
  st.sinceMs = nowMs;
  st.reason = why;
  st.pending = null;
  st.notifiedState = 'OK';
  return { kind: 'removed', previous, notify: notifiedPrevious !== 'OK', notifiedPrevious };
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
function recordVerdict(st: SeriesState, verdict: AlertState, flap: FlapOptions): readonly StateEvent[] {
  const percent = pushVerdict(st, verdict, flap.window);
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
  return NO_EVENTS;
}

/** Adds a verdict to the window (see SeriesState.recent) and returns its percent state change. */
function pushVerdict(st: SeriesState, verdict: AlertState, window: number): number {
  if (st.recent.length === 0) {
    if (st.steadyCount === 0 || st.steadyVerdict === verdict) {
      st.steadyVerdict = verdict;
      if (st.steadyCount < window) st.steadyCount++;
      return 0;
    }
    // The first different verdict: the window becomes a list.
    st.recent = new Array<AlertState>(st.steadyCount).fill(st.steadyVerdict);
    st.recentChanges = 0;
  }
  const recent = st.recent;
  if (recent[recent.length - 1] !== verdict) st.recentChanges++;
  recent.push(verdict);
  while (recent.length > window) {
    if (recent[0] !== recent[1]) st.recentChanges--;
    recent.shift();
  }
  if (st.recentChanges > 0) return percentStateChange(recent, window);
  st.steadyVerdict = verdict;
  st.steadyCount = recent.length;
  st.recent = STEADY;
  return 0;
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
