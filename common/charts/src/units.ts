import type { Base } from './model.js';

/**
 * Unit prefixes for the server-side charts' ticks and legends. The webapp's browser client
 * has the same function in services/webapp/src/render/units.ts (its build cannot reach
 * outside services/webapp); common/charts/test/units.test.ts holds the two to the same output.
 */
const SI_UP = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const SI_DOWN = ['', 'm', 'µ', 'n', 'p'];
const BINARY_UP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Scale a value to its prefix: `formatValue(1536, 1024)` → `"1.50 Ki"`. */
export function formatValue(value: number | null | undefined, base: Base, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  let scaled = value;
  let prefix = '';
  if (abs >= base) {
    const units = base === 1024 ? BINARY_UP : SI_UP;
    let i = 0;
    while (Math.abs(scaled) >= base && i < units.length - 1) {
      scaled /= base;
      i++;
    }
    prefix = units[i];
  } else if (abs < 1 && base === 1000) {
    let i = 0;
    while (Math.abs(scaled) < 1 && i < SI_DOWN.length - 1) {
      scaled *= 1000;
      i++;
    }
    prefix = SI_DOWN[i];
  }
  const text = trimZeros(scaled.toPrecision(digits));
  return prefix ? `${text} ${prefix}` : text;
}

function trimZeros(text: string): string {
  if (text.includes('e')) return String(Number(text));
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
