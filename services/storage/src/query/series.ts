/**
 * A Graphite time series as graphite-web 1.1 models it (`render/datalib.py` TimeSeries):
 * raw values on (start, step), a lazy consolidation (`valuesPerPoint` values folded into
 * one by `consolidationFunc`, honouring `xFilesFactor`) that functions such as normalize()
 * and maxDataPoints switch on, and the `name`, `pathExpression` and `tags` Grafana shows.
 *
 * The values are a `Float64Array` with NaN for Python's None (`data`): a render of 1,000
 * series x 1 day holds 1.44 M values, and as `(number | null)[]` each was a boxed number
 * for the garbage collector (~20 % of a render). A stored NaN reads as None too, which
 * graphite-web would write as NaN; the JSON answer writes null for both.
 */
export type Value = number | null;

/** One series' values: NaN where graphite-web has None. */
export type Values = Float64Array;

/** True for a missing value (NaN: `v !== v` is the cheapest test). */
export function isNone(v: number): boolean {
  // biome-ignore lint/suspicious/noSelfCompare: the NaN test, without a call
  return v !== v;
}

/** n missing values. */
export function noneValues(n: number): Values {
  return new Float64Array(n).fill(Number.NaN);
}

/** Values from a list with nulls (tests, fixtures), or the same typed array. */
export function toValues(values: readonly Value[] | Values): Values {
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? Number.NaN : v;
  }
  return out;
}

/** The values as a list with nulls (a copy: for tests and the few callers that want Python's view). */
export function boxedValues(values: Values): Value[] {
  const out: Value[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = isNone(values[i]) ? null : values[i];
  return out;
}

export type ConsolidationFunc = 'average' | 'avg' | 'avg_zero' | 'sum' | 'min' | 'max' | 'first' | 'last';

export const CONSOLIDATION_FUNCS: readonly ConsolidationFunc[] = ['sum', 'average', 'avg', 'avg_zero', 'min', 'max', 'first', 'last'];

export interface SeriesInit {
  name: string;
  start: number;
  end: number;
  step: number;
  values: readonly Value[] | Values;
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
  /** The raw values, NaN for None. */
  data: Values;
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
    this.data = toValues(init.values);
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
      values: changes.values ?? this.data.slice(),
      tags: changes.tags ?? this.tags,
      consolidationFunc: changes.consolidationFunc ?? this.consolidationFunc,
      xFilesFactor: changes.xFilesFactor ?? this.xFilesFactor,
    });
  }

  /** The raw values with null for None (a copy). */
  get values(): Value[] {
    return boxedValues(this.data);
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
  points(): Values {
    if (this.valuesPerPoint <= 1) return this.data;
    return consolidate(this.data, this.valuesPerPoint, this.consolidationFunc, this.xFilesFactor);
  }
}

/** Python's str() of a tag value (Tags stringify): floats as repr, booleans as True/False. */
function pyStr(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return value;
}

export function consolidate(values: Values, perPoint: number, func: ConsolidationFunc, xFilesFactor: number): Values {
  const out = new Float64Array(Math.ceil(values.length / perPoint));
  for (let i = 0, j = 0; i < values.length; i += perPoint, j++) {
    const end = Math.min(values.length, i + perPoint);
    out[j] = consolidateBucket(values, i, end, perPoint, func, xFilesFactor);
  }
  return out;
}

function consolidateBucket(values: Values, from: number, to: number, perPoint: number, func: ConsolidationFunc, xff: number): number {
  let nonNull = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let first = Number.NaN;
  let last = Number.NaN;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (isNone(v)) continue;
    nonNull++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (nonNull === 1) first = v;
    last = v;
  }
  if (nonNull === 0 || nonNull / perPoint < xff) return Number.NaN;
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
