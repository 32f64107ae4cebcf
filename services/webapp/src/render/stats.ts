/** Legend statistics of one series (Baadal's averages table): unknown points are ignored. */
export interface SeriesStats {
  min: number | null;
  avg: number | null;
  max: number | null;
  last: number | null;
}

export function seriesStats(values: readonly (number | null)[]): SeriesStats {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let count = 0;
  let last: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
    last = v;
  }
  if (count === 0) return { min: null, avg: null, max: null, last: null };
  return { min, avg: sum / count, max, last };
}
