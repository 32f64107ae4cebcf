import type { Value } from './series.js';

/**
 * graphite-web's aggregation functions (`functions/aggfuncs.py`, `functions/safe.py`):
 * each takes a row of values with nulls and ignores the nulls; null when nothing is left.
 */
export type AggFunc = (values: readonly Value[]) => Value;

function nonNull(values: readonly Value[]): number[] {
  const out: number[] = [];
  for (const v of values) if (v !== null) out.push(v);
  return out;
}

export const safeSum: AggFunc = (values) => {
  let sum = 0;
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    any = true;
  }
  return any ? sum : null;
};

export const safeAvg: AggFunc = (values) => {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    count++;
  }
  return count ? sum / count : null;
};

export const safeMin: AggFunc = (values) => {
  let min: number | null = null;
  for (const v of values) if (v !== null && (min === null || v < min)) min = v;
  return min;
};

export const safeMax: AggFunc = (values) => {
  let max: number | null = null;
  for (const v of values) if (v !== null && (max === null || v > max)) max = v;
  return max;
};

export const safeLast: AggFunc = (values) => {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
};

export const safeLen: AggFunc = (values) => nonNull(values).length;

const safeAvgZero: AggFunc = (values) => {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v ?? 0;
  return sum / values.length;
};

const safeMedian: AggFunc = (values) => {
  const sorted = nonNull(values).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid];
};

const safeDiff: AggFunc = (values) => {
  const present = nonNull(values);
  if (present.length === 0) return null;
  let out = present[0];
  for (let i = 1; i < present.length; i++) out -= present[i];
  return out;
};

const safeStdDev: AggFunc = (values) => {
  const present = nonNull(values);
  if (present.length === 0) return null;
  const avg = present.reduce((a, b) => a + b, 0) / present.length;
  let sum = 0;
  for (const v of present) sum += (v - avg) * (v - avg);
  return Math.sqrt(sum / present.length);
};

const safeRange: AggFunc = (values) => {
  const max = safeMax(values);
  const min = safeMin(values);
  return max === null || min === null ? null : max - min;
};

/** safeMul: null as soon as one factor is null. */
const safeMultiply: AggFunc = (values) => {
  if (values.length === 0) return null;
  let product = 1;
  for (const v of values) {
    if (v === null) return null;
    product *= v;
  }
  return product;
};

const AGG_FUNCS: Record<string, AggFunc> = {
  average: safeAvg,
  avg_zero: safeAvgZero,
  median: safeMedian,
  sum: safeSum,
  min: safeMin,
  max: safeMax,
  diff: safeDiff,
  stddev: safeStdDev,
  count: safeLen,
  range: safeRange,
  multiply: safeMultiply,
  last: safeLast,
  rangeOf: safeRange,
  avg: safeAvg,
  total: safeSum,
  current: safeLast,
};

/** Every name `aggregate()` and the other `func` parameters accept, in graphite-web's order. */
export const AGG_FUNC_NAMES = Object.keys(AGG_FUNCS);

export function aggFunc(name: string): AggFunc | undefined {
  return Object.hasOwn(AGG_FUNCS, name) ? AGG_FUNCS[name] : undefined;
}
