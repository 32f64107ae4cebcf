import { unitSeconds } from '../query/interval.js';
import { BadParameterError, quote } from './errors.js';

/**
 * Graphite's `from`/`until` forms (graphite-web `render/attime.py`), the useful subset:
 *   - epoch seconds: `1700000000`
 *   - relative to now: `-1h`, `-7d`, `-1h30min`, `now`, `now-2d`, `now+5min`
 *   - absolute UTC dates: `YYYYMMDD`, `HH:MM_YYYYMMDD` (optionally followed by an offset)
 * Units as Graphite reads them: s…, min…, h…, d…, w…, mon… (30 days), y… (365 days);
 * a bare `m` is refused as in Graphite. Times are UTC. Anything else is a 400 naming
 * the parameter.
 */
const MAX_EPOCH = 0xffffffff;

export function parseAtTime(raw: string, now: number, parameter: string): number {
  const text = raw.trim().toLowerCase().replace(/[_, ]/g, '');
  if (text.length === 0 || text.length > 64) throw invalid(parameter, raw);
  if (/^\d+$/.test(text)) {
    const date = text.length === 8 ? ymd(text) : null;
    return checkRange(date ?? Number(text), parameter, raw);
  }
  const match = /^(now|(\d{1,2}):(\d{2})(\d{8})|(\d{8}))?([+-].*)?$/.exec(text);
  if (!match) throw invalid(parameter, raw);
  const [, ref, hh, mm, hmDate, dateOnly, offsetText] = match;
  if (ref === undefined && offsetText === undefined) throw invalid(parameter, raw);
  let base = now;
  if (hmDate !== undefined) {
    const day = ymd(hmDate);
    if (day === null || Number(hh) > 23 || Number(mm) > 59) throw invalid(parameter, raw);
    base = day + Number(hh) * 3600 + Number(mm) * 60;
  } else if (dateOnly !== undefined) {
    const day = ymd(dateOnly);
    if (day === null) throw invalid(parameter, raw);
    base = day;
  }
  const offset = offsetText === undefined ? 0 : parseOffset(offsetText, parameter, raw);
  return checkRange(base + offset, parameter, raw);
}

/** `-1h30min` → -5400. */
export function parseOffset(text: string, parameter: string, raw: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.slice(1);
  if (!/^(\d+[a-z]+)+$/.test(body)) throw invalid(parameter, raw);
  let total = 0;
  for (const [, count, unit] of body.matchAll(/(\d+)([a-z]+)/g)) {
    const seconds = unitSeconds(unit);
    if (seconds === undefined) {
      throw new BadParameterError(parameter, `${parameter}: invalid offset unit ${quote(unit)} (use s, min, h, d, w, mon, y)`);
    }
    total += Number(count) * seconds;
  }
  return sign * total;
}

function ymd(text: string): number | null {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > 31) return null;
  const ms = Date.UTC(year, month - 1, day);
  if (new Date(ms).getUTCDate() !== day) return null;
  return ms / 1000;
}

function checkRange(value: number, parameter: string, raw: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_EPOCH) {
    throw new BadParameterError(parameter, `${parameter}: ${quote(raw)} is outside 0..${MAX_EPOCH} epoch seconds`);
  }
  return value;
}

function invalid(parameter: string, raw: string): BadParameterError {
  return new BadParameterError(
    parameter,
    `${parameter}: ${quote(raw)} is not a time (use epoch seconds, now, -1h, now-7d, YYYYMMDD or HH:MM_YYYYMMDD)`,
  );
}
