import type { AlertCondition } from '../../../../../common/schemas/index.js';

/**
 * Munin's `warning`/`critical` range syntax, read as munin-limits reads it
 * (Munin::Master::LimitsOld `get_limits`): `max`, `min:max`, `:max`, `min:`, signed
 * decimals, surrounding blanks allowed. The alarm is outside the range, strictly:
 * `value < min` or `value > max` (a value equal to a bound is OK).
 *
 * One deliberate difference: munin turns a range it cannot read into `0:0` (an alarm on
 * every non-zero value); we refuse it and name it (the caller logs it and the field has
 * no threshold at that level), since an alarm nobody asked for teaches people to ignore mail.
 */
export type MuninRange = Extract<AlertCondition, { kind: 'outside' }>;

export class MuninRangeError extends Error {
  constructor(readonly text: string) {
    super(`munin range ${JSON.stringify(text.slice(0, 64))} is not max, min:max, :max or min:`);
    this.name = 'MuninRangeError';
  }
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The range as an `outside` condition; throws MuninRangeError for anything else. */
export function parseMuninRange(text: string): MuninRange {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) return { kind: 'outside', max: bound(trimmed, text) };
  if (trimmed.indexOf(':', colon + 1) >= 0) throw new MuninRangeError(text);
  const low = trimmed.slice(0, colon).trim();
  const high = trimmed.slice(colon + 1).trim();
  if (low === '' && high === '') throw new MuninRangeError(text);
  const range: MuninRange = { kind: 'outside' };
  if (low !== '') range.min = bound(low, text);
  if (high !== '') range.max = bound(high, text);
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) throw new MuninRangeError(text);
  return range;
}

/** The range or null, with the problem reported instead of thrown (plugin output is not ours). */
export function tryMuninRange(text: string | undefined | null, report: (problem: string) => void): MuninRange | null {
  if (text === undefined || text === null || text.trim() === '') return null;
  try {
    return parseMuninRange(text);
  } catch (error) {
    report((error as Error).message);
    return null;
  }
}

function bound(part: string, whole: string): number {
  if (!NUMBER.test(part)) throw new MuninRangeError(whole);
  const value = Number(part);
  if (!Number.isFinite(value)) throw new MuninRangeError(whole);
  return value;
}

/** Munin's own text for a range, as in its messages: `min:max` with empty sides. */
export function formatMuninRange(range: MuninRange): string {
  return `${range.min ?? ''}:${range.max ?? ''}`;
}

/**
 * munin-limits compares `sprintf "%.2f"` of the value, not the value: 80.004 is not above
 * 80. Kept so a numeter threshold fires exactly when munin's would.
 */
export function muninRounded(value: number): number {
  return Number(value.toFixed(2));
}

/**
 * munin's `unknown_limit` (default 3): how many unknown values in a row turn the state
 * UNKNOWN. munin-limits keeps the old state while it counts 1..limit and changes on the
 * next one, except that a limit of 1 changes at once: limit 3 → the 4th unknown.
 */
export function unknownPointsOf(unknownLimit: string | undefined): number {
  const limit = unknownLimit !== undefined && /^\s*\d+\s*$/.test(unknownLimit) ? Math.max(1, Number(unknownLimit)) : 3;
  return limit > 1 ? Math.min(limit, 1000) + 1 : 1;
}
