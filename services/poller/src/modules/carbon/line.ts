import { randomBytes } from 'node:crypto';
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from '../../../../../common/schemas/index.js';
import { parsePythonFloatIn } from './number.js';

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

/**
 * A parse into a reused object: the listener's hot path allocates nothing for a line whose
 * path it already knows. The path is where it lies in the text, with a hash of it, so the
 * listener can look it up without making a string (PathTable).
 */
export interface LineScratch {
  text: string;
  pathStart: number;
  pathEnd: number;
  pathHash: number;
  value: number;
  timestamp: number | null;
}

export function lineScratch(): LineScratch {
  return { text: '', pathStart: 0, pathEnd: 0, pathHash: 0, value: 0, timestamp: null };
}

/** ASCII white space, as Python's `str.split()` sees it in the text carbon receives. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Where the last field scan found a field (module state: no array per line). */
let fieldStart = 0;
let fieldEnd = 0;

/** Finds the next field at or after `from`; false when only white space is left. */
function nextField(text: string, from: number, end: number): boolean {
  let i = from;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (i === end) return false;
  fieldStart = i;
  while (i < end && !isSpace(text.charCodeAt(i))) i++;
  fieldEnd = i;
  return true;
}

/** Seeded per process: which paths collide is not known outside (see PathTable). */
const HASH_SEED = randomBytes(4).readUInt32LE(0);

/** FNV-1a of `text[start:end]` (seeded), or -1 when it holds a `;` (a tagged series). */
export function pathHash(text: string, start: number, end: number): number {
  let hash = (0x811c9dc5 ^ HASH_SEED) >>> 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 59 /* ; */) return -1;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Parses `text[start:end]` (one line, read in place in the received chunk) into `out`:
 * 'ok', 'blank' for a line of white space only (skipped, as carbon's clients send them),
 * or what is wrong with it.
 */
export function parseCarbonLineIn(text: string, start: number, end: number, out: LineScratch): LineProblem | 'ok' | 'blank' {
  if (parseCommonLine(text, start, end, out)) return 'ok';
  return parseAnyLine(text, start, end, out);
}

/** Digits up to this many give an exact integer by arithmetic (2^53 has 16). */
const EXACT_DIGITS = 15;
const POW10 = Array.from({ length: EXACT_DIGITS + 1 }, (_, k) => 10 ** k);

/**
 * The line nearly every client sends, `path value timestamp` with single spaces, a plain
 * integer or decimal value of at most 15 digits and a whole-second timestamp, read in one
 * pass over the characters: the path hashed as it is scanned, the numbers computed as they
 * are (as parsePythonFloatIn does: exact digits divided by an exact power of ten, the same
 * double as Number()). False, with `out` untouched, for anything else (tabs, `\r`, `;`,
 * exponents, `-1`, a missing timestamp, out of range): parseAnyLine decides those.
 */
function parseCommonLine(text: string, start: number, end: number, out: LineScratch): boolean {
  let i = start;
  let hash = (0x811c9dc5 ^ HASH_SEED) >>> 0;
  let c = 0;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c <= 32 || c === 59 /* ; */) break;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  const pathEnd = i;
  if (pathEnd === start || c !== 32 || ++i >= end) return false;
  const negative = text.charCodeAt(i) === 45; /* - */
  if (negative) i++;
  const digitsStart = i;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = digits * 10 + (c - 48);
    else if (c === 46 /* . */ && fraction < 0) fraction = i;
    else break;
  }
  const digitCount = i - digitsStart - (fraction < 0 ? 0 : 1);
  if (c !== 32 || digitCount === 0 || digitCount > EXACT_DIGITS || fraction === digitsStart || fraction === i - 1) return false;
  const magnitude = fraction < 0 ? digits : digits / POW10[i - fraction - 1];
  const timestampStart = ++i;
  let seconds = 0;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    seconds = seconds * 10 + (c - 48);
  }
  if (i - timestampStart === 0 || i - timestampStart > 10 || seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP) return false;
  out.text = text;
  out.pathStart = start;
  out.pathEnd = pathEnd;
  out.pathHash = hash >>> 0;
  out.value = negative ? -magnitude : magnitude;
  out.timestamp = seconds;
  return true;
}

/** Any line, field by field as carbon splits it (the common one is parseCommonLine's). */
export function parseAnyLine(text: string, start: number, end: number, out: LineScratch): LineProblem | 'ok' | 'blank' {
  if (!nextField(text, start, end)) return 'blank';
  const pathStart = fieldStart;
  const pathEnd = fieldEnd;
  if (!nextField(text, pathEnd, end)) return 'malformed';
  const valueStart = fieldStart;
  const valueEnd = fieldEnd;
  const hasTimestamp = nextField(text, valueEnd, end);
  const timestampStart = fieldStart;
  const timestampEnd = fieldEnd;
  if (hasTimestamp && nextField(text, timestampEnd, end)) return 'malformed';
  // Carbon 1.1's tagged series (`path;tag=value`): their names are not host.plugin.ds.
  const hash = pathHash(text, pathStart, pathEnd);
  if (hash < 0) return 'tagged';
  const value = parsePythonFloatIn(text, valueStart, valueEnd);
  if (value === undefined) return 'bad_value';
  if (Number.isNaN(value)) return 'nan_value';
  if (!Number.isFinite(value)) return 'value_out_of_range';
  out.text = text;
  out.pathStart = pathStart;
  out.pathEnd = pathEnd;
  out.pathHash = hash;
  out.value = value;
  out.timestamp = null;
  if (!hasTimestamp) return 'ok';
  const timestamp = parsePythonFloatIn(text, timestampStart, timestampEnd);
  if (timestamp === undefined || !Number.isFinite(timestamp)) return 'bad_timestamp';
  if (Math.trunc(timestamp) === -1) return 'ok';
  const seconds = Math.floor(timestamp);
  if (seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP) return 'bad_timestamp';
  out.timestamp = seconds;
  return 'ok';
}

/** null for a blank line. */
export function parseCarbonLine(line: string): LineResult | null {
  const out = lineScratch();
  const result = parseCarbonLineIn(line, 0, line.length, out);
  if (result === 'blank') return null;
  if (result !== 'ok') return { problem: result };
  return { path: line.slice(out.pathStart, out.pathEnd), value: out.value, timestamp: out.timestamp };
}
