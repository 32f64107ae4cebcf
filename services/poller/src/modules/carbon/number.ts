/**
 * Numbers as Python's `float()` reads them, since that is what carbon uses for values and
 * timestamps: optional sign, digits with single `_` between digits, an optional fraction
 * and exponent, or `inf`/`infinity`/`nan` in any case. Anything else (hex, `0b1`, empty,
 * `1e`, `..`) is not a number. Written as one scan of the characters, read in place in
 * the received text (no substring, no object per call), because it runs for every line at
 * hundreds of thousands of lines per second.
 */
export function parsePythonFloat(text: string): number | undefined {
  return parsePythonFloatIn(text, 0, text.length);
}

/** Digits up to this many give an exact integer by arithmetic (2^53 has 16). */
const EXACT_DIGITS = 15;
/** Powers of ten a double holds exactly (10^22 is the last). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** `float(text[start:end])`; undefined when Python would raise ValueError. */
export function parsePythonFloatIn(text: string, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let i = start;
  const first = text.charCodeAt(i);
  const negative = first === 45; /* - */
  if (negative || first === 43 /* + */) i++;
  const integerStart = i;
  let integer = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    integer = integer * 10 + (c - 48);
    i++;
  }
  // The common cases, a plain integer (timestamps, counters) or decimal (`0.150000`): no
  // substring, no Number(). With at most 15 digits the digits are an exact integer and
  // dividing it by an exact power of ten rounds once, correctly: the same double as Number().
  let digitCount = i - integerStart;
  if (i === end && digitCount > 0 && digitCount <= EXACT_DIGITS) return negative ? -integer : integer;
  if (i < end && text.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c < 48 || c > 57) break;
      integer = integer * 10 + (c - 48);
      j++;
    }
    digitCount += j - i - 1;
    if (j === end && digitCount > 0 && digitCount <= EXACT_DIGITS) {
      const value = integer / POW10[j - i - 1];
      return negative ? -value : value;
    }
  }
  return parseGeneral(text, start, integerStart, end, negative);
}

function parseGeneral(text: string, start: number, bodyStart: number, end: number, negative: boolean): number | undefined {
  const letter = text.charCodeAt(bodyStart) | 0x20;
  if (letter === 105 /* i */ || letter === 110 /* n */) return special(text.slice(bodyStart, end).toLowerCase(), negative);
  let i = scanDigits(text, bodyStart, end);
  if (i < 0) return undefined;
  let mantissaDigits = scannedCount;
  let underscores = scannedUnderscores;
  if (i < end && text.charCodeAt(i) === 46 /* . */) {
    i = scanDigits(text, i + 1, end);
    if (i < 0) return undefined;
    mantissaDigits += scannedCount;
    underscores ||= scannedUnderscores;
  }
  if (mantissaDigits === 0) return undefined;
  if (i < end && (text.charCodeAt(i) | 0x20) === 101 /* e */) {
    let j = i + 1;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    i = scanDigits(text, j, end);
    if (i < 0 || scannedCount === 0) return undefined;
    underscores ||= scannedUnderscores;
  }
  if (i !== end) return undefined;
  const literal = text.slice(start, end);
  return Number(underscores ? literal.replace(/_/g, '') : literal);
}

/** What the last scanDigits saw (module state: no object per call on the hot path). */
let scannedCount = 0;
let scannedUnderscores = false;

/** Index after the digits from `start` (`_` only between two digits); -1 for a misplaced `_`. */
function scanDigits(text: string, start: number, end: number): number {
  let i = start;
  scannedCount = 0;
  scannedUnderscores = false;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      scannedCount++;
      i++;
    } else if (c === 95 /* _ */) {
      const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
      if (scannedCount === 0 || !(next >= 48 && next <= 57)) return -1;
      scannedUnderscores = true;
      i++;
    } else break;
  }
  return i;
}

function special(word: string, negative: boolean): number | undefined {
  if (word === 'nan') return Number.NaN;
  if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
  return undefined;
}
