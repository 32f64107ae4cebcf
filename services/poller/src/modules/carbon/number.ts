/**
 * Numbers as Python's `float()` reads them, since that is what carbon uses for values and
 * timestamps: optional sign, digits with single `_` between digits, an optional fraction
 * and exponent, or `inf`/`infinity`/`nan` in any case. Anything else (hex, `0b1`, empty,
 * `1e`, `..`) is not a number. Written as one scan of the characters because it runs for
 * every line at hundreds of thousands of lines per second.
 */
export function parsePythonFloat(text: string): number | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === 43 /* + */ || first === 45 /* - */) i = 1;
  const letter = text.charCodeAt(i) | 0x20;
  if (letter === 105 /* i */ || letter === 110 /* n */) return special(text.slice(i).toLowerCase(), first === 45);
  const integer = digits(text, i);
  i = integer.end;
  let mantissaDigits = integer.count;
  if (i < length && text.charCodeAt(i) === 46 /* . */) {
    const fraction = digits(text, i + 1);
    if (fraction.bad) return undefined;
    mantissaDigits += fraction.count;
    i = fraction.end;
  }
  if (integer.bad || mantissaDigits === 0) return undefined;
  if (i < length && (text.charCodeAt(i) | 0x20) === 101 /* e */) {
    let j = i + 1;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    const exponent = digits(text, j);
    if (exponent.bad || exponent.count === 0) return undefined;
    i = exponent.end;
  }
  if (i !== length) return undefined;
  return Number(text.includes('_') ? text.replace(/_/g, '') : text);
}

/** Digits from `start`, with `_` allowed only between two digits. */
function digits(text: string, start: number): { end: number; count: number; bad: boolean } {
  let i = start;
  let count = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      count++;
      i++;
    } else if (c === 95 /* _ */) {
      const next = text.charCodeAt(i + 1);
      if (count === 0 || !(next >= 48 && next <= 57)) return { end: i, count, bad: true };
      i++;
    } else break;
  }
  return { end: i, count, bad: false };
}

function special(word: string, negative: boolean): number | undefined {
  if (word === 'nan') return Number.NaN;
  if (word === 'inf' || word === 'infinity') return negative ? -Infinity : Infinity;
  return undefined;
}
