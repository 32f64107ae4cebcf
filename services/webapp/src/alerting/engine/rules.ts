import type { AlertCondition, AlertHold, AlertLevel, AlertRuleInput, AlertState, RuleKey } from '../../../../../common/schemas/index.js';
import { formatMuninRange, type MuninRange, muninRounded } from './munin-range.js';

/**
 * A rule as the engine evaluates it, whatever its origin: a munin field's thresholds (one
 * per series), a view's thresholds, or a user rule. Conditions are split into the ones a
 * point is checked against and the `nodata` ones the sweep checks.
 */
export interface CompiledRule {
  key: RuleKey;
  name: string;
  /** Checked critical first, as munin-limits does. */
  valueLevels: Array<{ level: AlertLevel; condition: Exclude<AlertCondition, { kind: 'nodata' }> }>;
  /** Silence longer than `minutes` raises `state`; worst first. */
  nodata: Array<{ state: AlertState; minutes: number }>;
  hold: AlertHold;
  repeatMinutes: number;
  /** Unknown (null) values in a row that make the state UNKNOWN; null: nulls are skipped. */
  unknownPoints: number | null;
  /** munin-limits compares the value rounded to 2 decimals. */
  roundValues: boolean;
}

export interface LevelVerdict {
  state: AlertState;
  reason: string;
}

/** The state one value puts the series in under `rule`, and why. */
export function levelOfValue(rule: CompiledRule, value: number): LevelVerdict {
  return { state: stateOfValue(rule, value), reason: reasonOfValue(rule, value) };
}

/** levelOfValue's state alone: the engine's per-point check, which builds no text. */
export function stateOfValue(rule: CompiledRule, value: number): AlertState {
  const compared = rule.roundValues ? muninRounded(value) : value;
  const levels = rule.valueLevels;
  for (let i = 0; i < levels.length; i++) if (conditionHolds(levels[i].condition, compared)) return levels[i].level;
  return 'OK';
}

/**
 * The values that are certainly OK under `rule` (both ends included; empty when `low >
 * high`): the engine skips the evaluation of a point inside the range of every rule of its
 * series. Exact for plain comparisons; for rules that round the value first (munin), shrunk
 * by more than the rounding can move a value, so a value near a bound is evaluated.
 */
export function certainlyOkRange(rule: CompiledRule): { low: number; high: number } {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  const margin = (bound: number) => (rule.roundValues ? 0.01 + Math.abs(bound) * 4 * Number.EPSILON : 0);
  const atMost = (bound: number) => {
    high = Math.min(high, bound - margin(bound));
  };
  const atLeast = (bound: number) => {
    low = Math.max(low, bound + margin(bound));
  };
  for (const { condition } of rule.valueLevels) {
    if (condition.kind === 'above') atMost(condition.value);
    else if (condition.kind === 'below') atLeast(condition.value);
    else {
      if (condition.min !== undefined) atLeast(condition.min);
      if (condition.max !== undefined) atMost(condition.max);
    }
  }
  return { low, high };
}

/** levelOfValue's reason alone: `value 95 above critical 90`, `value 3 ok`. */
export function reasonOfValue(rule: CompiledRule, value: number): string {
  const compared = rule.roundValues ? muninRounded(value) : value;
  for (const { level, condition } of rule.valueLevels) {
    if (conditionHolds(condition, compared)) return `value ${compared} ${describeCondition(condition, level)}`;
  }
  return `value ${compared} ok`;
}

function conditionHolds(condition: Exclude<AlertCondition, { kind: 'nodata' }>, value: number): boolean {
  switch (condition.kind) {
    case 'above':
      return value > condition.value;
    case 'below':
      return value < condition.value;
    case 'outside':
      return (condition.min !== undefined && value < condition.min) || (condition.max !== undefined && value > condition.max);
  }
}

/** `above critical 90`, `outside warning range 10:60`: munin-limits' words, shorter. */
function describeCondition(condition: Exclude<AlertCondition, { kind: 'nodata' }>, level: AlertLevel): string {
  const name = level.toLowerCase();
  switch (condition.kind) {
    case 'above':
      return `above ${name} ${condition.value}`;
    case 'below':
      return `below ${name} ${condition.value}`;
    case 'outside':
      return `outside ${name} range ${formatMuninRange(condition)}`;
  }
}

/** The worst nodata state reached after `silentMs` without a point, or null. */
export function levelOfSilence(rule: CompiledRule, silentMs: number): LevelVerdict | null {
  for (const { state, minutes } of rule.nodata) {
    if (silentMs >= minutes * 60_000) return { state, reason: `no data for ${Math.floor(silentMs / 60_000)} minutes (limit ${minutes})` };
  }
  return null;
}

const HOLD_NONE: AlertHold = { points: 1, seconds: 0 };

/** A munin field's rule: its ranges, UNKNOWN after its unknown_limit and after `nodataMinutes` silent. */
export function muninRule(
  warning: MuninRange | null,
  critical: MuninRange | null,
  unknownPoints: number,
  nodataMinutes: number,
): CompiledRule {
  const valueLevels: CompiledRule['valueLevels'] = [];
  if (critical) valueLevels.push({ level: 'CRITICAL', condition: critical });
  if (warning) valueLevels.push({ level: 'WARNING', condition: warning });
  return {
    key: 'munin',
    name: 'munin thresholds',
    valueLevels,
    nodata: nodataMinutes > 0 ? [{ state: 'UNKNOWN', minutes: nodataMinutes }] : [],
    hold: HOLD_NONE,
    repeatMinutes: 0,
    unknownPoints,
    roundValues: true,
  };
}

/** A view's thresholds: above warning / above critical, on every series of the view. */
export function viewRule(
  view: { id: number; name: string; warning: number | null; critical: number | null },
  nodataMinutes: number,
): CompiledRule {
  const valueLevels: CompiledRule['valueLevels'] = [];
  if (view.critical !== null) valueLevels.push({ level: 'CRITICAL', condition: { kind: 'above', value: view.critical } });
  if (view.warning !== null) valueLevels.push({ level: 'WARNING', condition: { kind: 'above', value: view.warning } });
  return {
    key: `view:${view.id}`,
    name: `view ${view.name}`.slice(0, 200),
    valueLevels,
    nodata: nodataMinutes > 0 ? [{ state: 'UNKNOWN', minutes: nodataMinutes }] : [],
    hold: HOLD_NONE,
    repeatMinutes: 0,
    unknownPoints: null,
    roundValues: false,
  };
}

/** A user rule (`alert_rules.definition`, validated by AlertRuleInput). */
export function userRule(id: number, input: AlertRuleInput): CompiledRule {
  const valueLevels: CompiledRule['valueLevels'] = [];
  const nodata: CompiledRule['nodata'] = [];
  for (const [level, condition] of [
    ['CRITICAL', input.critical],
    ['WARNING', input.warning],
  ] as const) {
    if (condition === null) continue;
    if (condition.kind === 'nodata') nodata.push({ state: level, minutes: condition.minutes });
    else valueLevels.push({ level, condition });
  }
  // Worst first, then the shortest silence: the first match of levelOfSilence is the right one.
  nodata.sort((a, b) => (a.state === b.state ? a.minutes - b.minutes : a.state === 'CRITICAL' ? -1 : 1));
  return {
    key: `rule:${id}`,
    name: input.name,
    valueLevels,
    nodata,
    hold: input.hold,
    repeatMinutes: input.repeatMinutes,
    unknownPoints: null,
    roundValues: false,
  };
}
