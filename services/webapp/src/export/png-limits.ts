import { HttpError } from '../http-errors.js';
import type { GraphModel, GraphSeries } from '../render/types.js';
import { SIZE_LIMITS } from './png.js';

/**
 * What one PNG may cost. A PNG cannot show more points than it has pixel columns, so longer
 * series are averaged down to the width (as RRD's AVERAGE consolidation) before they reach the
 * renderer; what remains is bounded by size and series count, and the render itself by the
 * pool's time limit (`png-pool.ts`).
 */
export const PNG_LIMITS = {
  ...SIZE_LIMITS,
  /** width × height: 4 megapixels (2560 × 1562), 16 MB of raster. */
  maxPixels: 4_000_000,
  maxSeries: 100,
};

/** 400 for a size or a graph too large to draw; the field says which. */
export function checkPngCost(model: GraphModel, width: number, height: number): void {
  if (width * height > PNG_LIMITS.maxPixels)
    throw new HttpError(400, `width × height: at most ${PNG_LIMITS.maxPixels} pixels (asked ${width} × ${height})`, 'width');
  if (model.series.length > PNG_LIMITS.maxSeries)
    throw new HttpError(
      400,
      `a PNG draws at most ${PNG_LIMITS.maxSeries} series (this graph has ${model.series.length}); use CSV or JSON`,
      'series',
    );
}

/** The model with at most `columns` points per series (bucket averages); stats are kept as computed. */
export function downsampleToWidth(model: GraphModel, columns: number): GraphModel {
  const length = model.timestamps.length;
  if (length <= columns) return model;
  const bucket = Math.ceil(length / columns);
  const buckets = Math.ceil(length / bucket);
  const average = (values: (number | null)[]) =>
    Array.from({ length: buckets }, (_, b) => {
      let sum = 0;
      let n = 0;
      for (let i = b * bucket; i < Math.min(length, (b + 1) * bucket); i++) {
        const v = values[i];
        if (v !== null && v !== undefined) {
          sum += v;
          n++;
        }
      }
      return n ? sum / n : null;
    });
  const series: GraphSeries[] = model.series.map((s) => ({ ...s, values: average(s.values), plotted: average(s.plotted) }));
  return {
    ...model,
    timestamps: Array.from({ length: buckets }, (_, b) => model.timestamps[b * bucket]),
    step: model.step * bucket,
    series,
  };
}
