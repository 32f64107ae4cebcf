/**
 * Python's number formatting, because graphite-web builds series names with it
 * (`"scale(%s,%g)"`, `str(value)`) and Grafana shows those names in legends.
 */

/** Python `repr(float)` / `str(float)`: shortest round-trip digits, `1.0`, `1e+16`, `1e-05`, `inf`, `nan`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exponent = Math.floor(Math.log10(Math.abs(x)));
  // Python switches to exponent notation below 1e-4 and from 1e16 on.
  if (exponent < -4 || exponent >= 16) return pyExponent(x.toExponential());
  const text = String(x);
  if (/e/.test(text)) return pyExponent(x.toExponential());
  return text.includes('.') ? text : `${text}.0`;
}

/** Python `str()` of a value that may be an int (validated integer parameters) or a float. */
export function pyNumber(x: number, isInteger: boolean): string {
  return isInteger ? String(Math.trunc(x)) : pyFloat(x);
}

/** Python `"%g" % x`: 6 significant digits, trailing zeros removed, exponent when < 1e-4 or >= 1e6. */
export function pyG(x: number, precision = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const rounded = x.toExponential(precision - 1);
  const exponent = Number(rounded.slice(rounded.indexOf('e') + 1));
  if (exponent < -4 || exponent >= precision) {
    const [mantissa, exp] = rounded.split('e');
    return pyExponent(`${stripZeros(mantissa)}e${exp}`);
  }
  return stripZeros(x.toFixed(Math.max(0, precision - 1 - exponent)));
}

/** Python `"%d" % x`: the integer part. */
export function pyD(x: number): string {
  return String(Math.trunc(x));
}

/** Python `"%.2f" % x`. */
export function pyFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return x.toFixed(digits);
}

function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** `1.5e-7` → `1.5e-07`, `1e+21` → `1e+21` (Python writes at least two exponent digits). */
function pyExponent(text: string): string {
  return text.replace(/e([+-]?)(\d+)$/, (_, sign: string, digits: string) => `e${sign || '+'}${digits.padStart(2, '0')}`);
}
