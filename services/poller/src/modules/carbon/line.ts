import { MAX_TIMESTAMP, MIN_TIMESTAMP } from '../../../../../common/schemas/index.js';
import { parsePythonFloat } from './number.js';

/**
 * One line of carbon's plaintext protocol: `path value [timestamp]`, fields separated by
 * white space. As carbon does: values and timestamps are read as Python floats, `nan` is
 * dropped, a timestamp whose integer part is -1 means now; unlike carbon, a missing
 * timestamp also means now (what StatsD-style scripts send). Fractional timestamps are cut
 * to the second (MIN_TIMESTAMP_RESOLUTION = 1).
 */
export type LineProblem = 'malformed' | 'bad_value' | 'nan_value' | 'value_out_of_range' | 'bad_timestamp' | 'tagged';

export interface CarbonLine {
  path: string;
  value: number;
  /** Whole seconds; null = the time it was received. */
  timestamp: number | null;
}

export type LineResult = CarbonLine | { problem: LineProblem };

/** Splits on ASCII white space (Python's `str.split()` for the text carbon receives). */
function fields(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    const space = c === 32 || (c >= 9 && c <= 13);
    if (space) {
      if (start >= 0) {
        out.push(line.slice(start, i));
        if (out.length > 3) return out;
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  return out;
}

/** null for a blank line (skipped, as carbon's clients send them). */
export function parseCarbonLine(line: string): LineResult | null {
  const parts = fields(line);
  if (parts.length === 0) return null;
  if (parts.length < 2 || parts.length > 3) return { problem: 'malformed' };
  const [path, rawValue, rawTimestamp] = parts;
  // Carbon 1.1's tagged series (`path;tag=value`): their names are not host.plugin.ds.
  if (path.includes(';')) return { problem: 'tagged' };
  const value = parsePythonFloat(rawValue);
  if (value === undefined) return { problem: 'bad_value' };
  if (Number.isNaN(value)) return { problem: 'nan_value' };
  if (!Number.isFinite(value)) return { problem: 'value_out_of_range' };
  if (rawTimestamp === undefined) return { path, value, timestamp: null };
  const timestamp = parsePythonFloat(rawTimestamp);
  if (timestamp === undefined || !Number.isFinite(timestamp)) return { problem: 'bad_timestamp' };
  if (Math.trunc(timestamp) === -1) return { path, value, timestamp: null };
  const seconds = Math.floor(timestamp);
  if (seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP) return { problem: 'bad_timestamp' };
  return { path, value, timestamp: seconds };
}
