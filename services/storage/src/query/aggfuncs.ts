import { isNone } from './series.js';

/**
 * graphite-web's aggregation functions (`functions/aggfuncs.py`, `functions/safe.py`):
 * each takes a row of values with missing ones (NaN for Python's None) and ignores them;
 * NaN (None) when nothing is left.
 */
export type AggFunc = (values: ArrayLike<number>) => number;

function present(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!isNone(values[i])) out.push(values[i]);
  return out;
}

export const safeSum: AggFunc = (values) => {
  let sum = 0;
  let any = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNone(v)) continue;
    sum += v;
    any = true;
  }
  return any ? sum : Number.NaN;
};

export const safeAvg: AggFunc = (values) => {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNone(v)) continue;
    sum += v;
    count++;
  }
  return count ? sum / count : Number.NaN;
};

export const safeMin: AggFunc = (values) => {
  let min = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isNone(v) && (isNone(min) || v < min)) min = v;
  }
  return min;
};

export const safeMax: AggFunc = (values) => {
  let max = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isNone(v) && (isNone(max) || v > max)) max = v;
  }
  return max;
};

export const safeLast: AggFunc = (values) => {
  for (let i = values.length - 1; i >= 0; i--) if (!isNone(values[i])) return values[i];
  return Number.NaN;
};

export const safeLen: AggFunc = (values) => {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!isNone(values[i])) n++;
  return n;
};

const safeAvgZero: AggFunc = (values) => {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (!isNone(values[i])) sum += values[i];
  return sum / values.length;
};

export const safeMedian: AggFunc = (values) => {
  const sorted = present(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid];
};

const safeDiff: AggFunc = (values) => {
  const given = present(values);
  if (given.length === 0) return Number.NaN;
  let out = given[0];
  for (let i = 1; i < given.length; i++) out -= given[i];
  return out;
};

const safeStdDev: AggFunc = (values) => {
  const given = present(values);
  if (given.length === 0) return Number.NaN;
  const avg = given.reduce((a, b) => a + b, 0) / given.length;
  let sum = 0;
  for (const v of given) sum += (v - avg) * (v - avg);
  return Math.sqrt(sum / given.length);
};

const safeRange: AggFunc = (values) => {
  const max = safeMax(values);
  const min = safeMin(values);
  return isNone(max) || isNone(min) ? Number.NaN : max - min;
};

/** safeMul: None as soon as one factor is None. */
const safeMultiply: AggFunc = (values) => {
  if (values.length === 0) return Number.NaN;
  let product = 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isNone(v)) return Number.NaN;
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
