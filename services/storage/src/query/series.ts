/**
 * A Graphite time series as graphite-web 1.1 models it (`render/datalib.py` TimeSeries):
 * raw `values` on (start, step), a lazy consolidation (`valuesPerPoint` values folded into
 * one by `consolidationFunc`, honouring `xFilesFactor`) that functions such as normalize()
 * and maxDataPoints switch on, and the `name`, `pathExpression` and `tags` Grafana shows.
 */
export type Value = number | null;

export type ConsolidationFunc = 'average' | 'avg' | 'avg_zero' | 'sum' | 'min' | 'max' | 'first' | 'last';

export const CONSOLIDATION_FUNCS: readonly ConsolidationFunc[] = ['sum', 'average', 'avg', 'avg_zero', 'min', 'max', 'first', 'last'];

export interface SeriesInit {
  name: string;
  start: number;
  end: number;
  step: number;
  values: Value[];
  pathExpression?: string;
  tags?: Record<string, string>;
  consolidationFunc?: ConsolidationFunc;
  xFilesFactor?: number;
}

export class Series {
  name: string;
  start: number;
  end: number;
  step: number;
  values: Value[];
  pathExpression: string;
  tags: Record<string, string>;
  consolidationFunc: ConsolidationFunc;
  xFilesFactor: number;
  valuesPerPoint = 1;
  /** Values are Python ints (countSeries, isNonNull, changed): the raw format writes them without ".0". */
  integerValues = false;
  /** Display options (color, lineWidth, stacked...): kept for png, never change the data. */
  options: Record<string, string | number | boolean> = {};

  constructor(init: SeriesInit) {
    this.name = init.name;
    this.start = init.start;
    this.end = init.end;
    this.step = init.step;
    this.values = init.values;
    this.pathExpression = init.pathExpression ?? init.name;
    this.tags = init.tags ? { ...init.tags } : { name: init.name };
    this.consolidationFunc = init.consolidationFunc ?? 'average';
    this.xFilesFactor = init.xFilesFactor ?? 0;
  }

  /** graphite-web's `series.copy(...)`: same tags and consolidation, pathExpression reset to the name. */
  copy(changes: Partial<SeriesInit> = {}): Series {
    return new Series({
      name: changes.name ?? this.name,
      start: changes.start ?? this.start,
      end: changes.end ?? this.end,
      step: changes.step ?? this.step,
      values: changes.values ?? this.values.slice(),
      tags: changes.tags ?? this.tags,
      consolidationFunc: changes.consolidationFunc ?? this.consolidationFunc,
      xFilesFactor: changes.xFilesFactor ?? this.xFilesFactor,
    });
  }

  /** Renames the series the way most graphite-web transforms do (name and pathExpression). */
  rename(name: string): this {
    this.name = name;
    this.pathExpression = name;
    return this;
  }

  setTag(key: string, value: string | number | boolean): void {
    this.tags[key] = pyStr(value);
  }

  /** What iterating the Python series yields: the values, consolidated when valuesPerPoint > 1. */
  points(): Value[] {
    if (this.valuesPerPoint <= 1) return this.values;
    return consolidate(this.values, this.valuesPerPoint, this.consolidationFunc, this.xFilesFactor);
  }
}

/** Python's str() of a tag value (Tags stringify): floats as repr, booleans as True/False. */
function pyStr(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return value;
}

export function consolidate(values: Value[], perPoint: number, func: ConsolidationFunc, xFilesFactor: number): Value[] {
  const out: Value[] = [];
  for (let i = 0; i < values.length; i += perPoint) {
    const end = Math.min(values.length, i + perPoint);
    out.push(consolidateBucket(values, i, end, perPoint, func, xFilesFactor));
  }
  return out;
}

function consolidateBucket(values: Value[], from: number, to: number, perPoint: number, func: ConsolidationFunc, xff: number): Value {
  let nonNull = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let first: Value = null;
  let last: Value = null;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v === null) continue;
    nonNull++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (first === null) first = v;
    last = v;
  }
  if (nonNull === 0 || nonNull / perPoint < xff) return null;
  switch (func) {
    case 'sum':
      return sum;
    case 'average':
    case 'avg':
      return sum / nonNull;
    case 'avg_zero':
      // graphite-web counts the nulls of the bucket as zeros (a short last bucket: only its own length).
      return sum / (to - from);
    case 'min':
      return min;
    case 'max':
      return max;
    case 'first':
      return first;
    case 'last':
      return last;
  }
}
