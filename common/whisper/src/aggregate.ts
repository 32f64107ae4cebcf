/**
 * Aggregation of a propagation window, with python-whisper's exact semantics so that
 * results are bit-identical: plain left-to-right summation from 0, and max/min/absmax/
 * absmin that keep the first element and replace it only on a strict comparison (so
 * NaN behaves by position, like Python's max()). Works on caller-owned arrays so the
 * propagation hot path allocates nothing.
 */
import { InvalidAggregationMethodError } from './errors.js';

/**
 * Aggregates a window by stored method code (header.ts AGGREGATION_METHODS).
 * `known[0..nKnown)` are the known values in time order; `window[0..nWindow)` is the full
 * window with `present[i] === 0` marking missing slots (only avg_zero looks at it).
 */
export function aggregateWindow(
  type: number,
  known: Float64Array,
  nKnown: number,
  window: Float64Array,
  present: Uint8Array,
  nWindow: number,
): number {
  switch (type) {
    case 1: {
      let s = 0;
      for (let i = 0; i < nKnown; i++) s += known[i];
      return s / nKnown;
    }
    case 2: {
      let s = 0;
      for (let i = 0; i < nKnown; i++) s += known[i];
      return s;
    }
    case 3:
      return known[nKnown - 1];
    case 4: {
      let m = known[0];
      for (let i = 1; i < nKnown; i++) if (known[i] > m) m = known[i];
      return m;
    }
    case 5: {
      let m = known[0];
      for (let i = 1; i < nKnown; i++) if (known[i] < m) m = known[i];
      return m;
    }
    case 6: {
      // Python: sum(x or 0 for x in neighborValues) — None and 0.0 count as 0, NaN stays NaN.
      let s = 0;
      for (let i = 0; i < nWindow; i++) if (present[i] !== 0) s += window[i];
      return s / nWindow;
    }
    case 7: {
      let m = known[0];
      for (let i = 1; i < nKnown; i++) if (Math.abs(known[i]) > Math.abs(m)) m = known[i];
      return m;
    }
    case 8: {
      let m = known[0];
      for (let i = 1; i < nKnown; i++) if (Math.abs(known[i]) < Math.abs(m)) m = known[i];
      return m;
    }
    default:
      throw new InvalidAggregationMethodError(`Unrecognized aggregation method ${type}`);
  }
}

const METHOD_CODES: Record<string, number> = { average: 1, sum: 2, last: 3, max: 4, min: 5, avg_zero: 6, absmax: 7, absmin: 8 };

/**
 * Convenience form of the reference's aggregate(method, knownValues, neighborValues):
 * `neighborValues` uses null for missing slots. Throws like the reference for unknown
 * methods and for avg_zero without neighbour values.
 */
export function aggregate(method: string, knownValues: readonly number[], neighborValues?: readonly (number | null)[]): number {
  const type = METHOD_CODES[method];
  if (type === undefined) throw new InvalidAggregationMethodError(`Unrecognized aggregation method ${method}`);
  if (type === 6 && (!neighborValues || neighborValues.length === 0)) {
    throw new InvalidAggregationMethodError('Using avg_zero without neighborValues');
  }
  if (knownValues.length === 0 && type !== 6) {
    throw new InvalidAggregationMethodError(`Cannot aggregate an empty list with ${method}`);
  }
  const nv = neighborValues ?? [];
  const window = Float64Array.from(nv, (v) => (v === null ? 0 : v));
  const present = Uint8Array.from(nv, (v) => (v === null ? 0 : 1));
  return aggregateWindow(type, Float64Array.from(knownValues), knownValues.length, window, present, nv.length);
}
