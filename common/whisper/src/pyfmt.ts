/**
 * Python's float repr (`repr(1.0) == '1.0'`, `repr(1e-05) == '1e-05'`), used where our
 * output mirrors the reference's text: CLI JSON values and error messages that quote numbers.
 * JS and CPython both print the shortest round-tripping digits; only the layout differs.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expText] = Math.abs(x).toExponential().split('e');
  const exp = Number(expText);
  const digits = mant.replace('.', '');
  // CPython's 'r' format switches to exponent notation when decpt <= -4 or decpt > 16,
  // decpt being exp + 1 (value = 0.DIGITS × 10^decpt).
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/**
 * The exact decimal value of a finite non-zero |x|, as digits with `exp` = the power of ten of
 * the first digit. Every double is a fraction m / 2^k, i.e. m·5^k / 10^k, so this is exact.
 */
function exactDecimal(x: number): { digits: string; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  let digits: string;
  let scale: number; // value = digits × 10^-scale
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    scale = 0;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    scale = -e2;
  }
  return { digits, exp: digits.length - 1 - scale };
}

/**
 * Rounds a digit string to `n` digits, half to even (CPython's correctly rounded formatting).
 * On a carry (999… → 1000…) the result has n + 1 digits and `carry` is set.
 */
function roundDigits(digits: string, n: number): { digits: string; carry: boolean } {
  if (n < 0) return { digits: '', carry: false };
  if (digits.length <= n) return { digits: digits.padEnd(n, '0'), carry: false };
  const kept = digits.slice(0, n);
  const rest = digits.slice(n);
  const last = n > 0 ? Number(kept[n - 1]) : 0;
  const up = rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || last % 2 === 1));
  if (!up) return { digits: kept, carry: false };
  const bumped = (BigInt(`0${kept}`) + 1n).toString();
  if (bumped.length > n) return { digits: bumped, carry: true };
  return { digits: bumped.padStart(n, '0'), carry: false };
}

/** Python's "%.{p}g" (no width), exact and half-even like CPython. */
export function pyFormatG(x: number, p: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const exact = exactDecimal(x);
  const r = roundDigits(exact.digits, p);
  const exp = exact.exp + (r.carry ? 1 : 0);
  const digits = r.digits.slice(0, p).replace(/0+$/, '') || '0';
  if (exp < -4 || exp >= p) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}${frac ? `.${frac}` : ''}`;
}

/** Python's "%.{p}f", exact and half-even like CPython. */
export function pyFormatF(x: number, p: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.${'0'.repeat(p)}`;
  const exact = exactDecimal(x);
  // Digits up to 10^-p: exact.exp + 1 integer digits (possibly ≤ 0) plus p decimals.
  const n = exact.exp + 1 + p;
  const r = roundDigits(exact.digits, n);
  const all = r.digits.padStart(p + 1, '0');
  return `${sign}${all.slice(0, all.length - p)}.${all.slice(all.length - p)}`;
}
