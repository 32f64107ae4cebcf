import { PngLimitError } from './errors.js';
import type { ChartModel } from './model.js';

/**
 * What one PNG may cost. A PNG cannot show more points than it has pixel columns, so longer
 * series are averaged down to the width (as RRD's AVERAGE consolidation) before they reach the
 * renderer; what remains is bounded by size and series count, and the render itself by the
 * pool's time limit (`png-pool.ts`).
 */
export const SIZE_LIMITS = { minWidth: 200, maxWidth: 4000, minHeight: 120, maxHeight: 3000 };

export const PNG_LIMITS = {
  ...SIZE_LIMITS,
  /** width × height: 4 megapixels (2560 × 1562), 16 MB of raster. */
  maxPixels: 4_000_000,
  maxSeries: 100,
};

/** 400 for a size or a graph too large to draw; the field says which. */
export function checkPngCost(model: ChartModel, width: number, height: number, seriesField = 'series'): void {
  if (width * height > PNG_LIMITS.maxPixels)
    throw new PngLimitError('max_pixels', `width × height: at most ${PNG_LIMITS.maxPixels} pixels (asked ${width} × ${height})`, 'width');
  if (model.series.length > PNG_LIMITS.maxSeries)
    throw new PngLimitError(
      'max_series',
      `a PNG draws at most ${PNG_LIMITS.maxSeries} series (this graph has ${model.series.length}); use CSV or JSON`,
      seriesField,
    );
}

/** The model with at most `columns` points per series (bucket averages); stats are kept as computed. */
export function downsampleToWidth<M extends ChartModel>(model: M, columns: number): M {
  const length = model.timestamps.length;
  if (length <= columns) return model;
  const bucket = Math.ceil(length / columns);
  const buckets = Math.ceil(length / bucket);
  const average = (values: readonly (number | null)[]) =>
    Array.from({ length: buckets }, (_, b) => {
      let sum = 0;
      let n = 0;
      for (let i = b * bucket; i < Math.min(length, (b + 1) * bucket); i++) {
        const v = values[i];
        if (v !== null && v !== undefined && Number.isFinite(v)) {
          sum += v;
          n++;
        }
      }
      return n ? sum / n : null;
    });
  // A richer series (the webapp's `plotted` copy) has its other per-point arrays averaged too.
  const series = model.series.map((s) => {
    const out: Record<string, unknown> = { ...s, values: average(s.values) };
    for (const [key, value] of Object.entries(s))
      if (key !== 'values' && Array.isArray(value) && value.length === length) out[key] = average(value as (number | null)[]);
    return out;
  });
  return {
    ...model,
    timestamps: Array.from({ length: buckets }, (_, b) => model.timestamps[b * bucket]),
    step: model.step * bucket,
    series,
  } as M;
}
