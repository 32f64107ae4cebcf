import { parseTarget } from './parser.js';
import { isNone, type Series, type Values } from './series.js';

/**
 * graphite-web's helpers for combining series (`render/functions.py`): normalize() brings
 * every series to the least common multiple of their steps by switching on their lazy
 * consolidation (the input series are changed, as graphite-web changes them), rows are
 * taken position by position (izip_longest), and names list the path expressions.
 */
export interface Normalized {
  list: Series[];
  start: number;
  end: number;
  step: number;
}

/** Null when there is no series at all (graphite-web's NormalizeEmptyResultError: the function returns []). */
export function normalize(lists: Series[][]): Normalized | null {
  const list = lists.flat();
  if (list.length === 0) return null;
  const step = list.map((s) => s.step).reduce(lcm);
  for (const s of list) s.valuesPerPoint = Math.floor(step / s.step);
  const start = Math.min(...list.map((s) => s.start));
  let end = Math.max(...list.map((s) => s.end));
  end -= (end - start) % step;
  return { list, start, end, step };
}

/** The consolidated points of each series, and how many rows izip_longest gives. */
export function columns(list: Series[]): { cols: Values[]; rows: number } {
  const cols = list.map((s) => s.points());
  let rows = 0;
  for (const c of cols) if (c.length > rows) rows = c.length;
  return { cols, rows };
}

/** f(row) for each position; `row` is one reused buffer (missing values as NaN, Python's None). */
export function mapRows(cols: Values[], rows: number, f: (row: Values) => number): Values {
  const row = new Float64Array(cols.length);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols.length; j++) {
      const col = cols[j];
      row[j] = i < col.length ? col[i] : Number.NaN;
    }
    out[i] = f(row);
  }
  return out;
}

/**
 * sum, average, min, max and count of each row, walking column by column (one series after
 * the other, into typed accumulators) instead of gathering rows: the same additions in the
 * same order as safeSum over a row, without a row array. Undefined for the other functions
 * (they go through mapRows).
 */
export function columnAggregate(func: string, cols: Values[], rows: number, xFilesFactor: number): Values | undefined {
  const kind = COLUMN_FUNCS[func];
  if (kind === undefined) return undefined;
  const acc = new Float64Array(rows);
  const counts = new Uint32Array(rows);
  if (kind === 'min') acc.fill(Number.POSITIVE_INFINITY);
  if (kind === 'max') acc.fill(Number.NEGATIVE_INFINITY);
  for (const col of cols) {
    const n = Math.min(rows, col.length);
    if (kind === 'sum' || kind === 'average' || kind === 'count') addColumn(col, n, acc, counts);
    else if (kind === 'min') minColumn(col, n, acc, counts);
    else maxColumn(col, n, acc, counts);
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const n = counts[i];
    if (!xffOk(n, cols.length, xFilesFactor)) out[i] = Number.NaN;
    else if (kind === 'count') out[i] = n;
    else out[i] = kind === 'average' ? acc[i] / n : acc[i];
  }
  return out;
}

function addColumn(col: Values, n: number, acc: Float64Array, counts: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (isNone(v)) continue;
    counts[i]++;
    acc[i] += v;
  }
}

function minColumn(col: Values, n: number, acc: Float64Array, counts: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (isNone(v)) continue;
    counts[i]++;
    if (v < acc[i]) acc[i] = v;
  }
}

function maxColumn(col: Values, n: number, acc: Float64Array, counts: Uint32Array): void {
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (isNone(v)) continue;
    counts[i]++;
    if (v > acc[i]) acc[i] = v;
  }
}

const COLUMN_FUNCS: Record<string, 'sum' | 'average' | 'min' | 'max' | 'count'> = Object.assign(Object.create(null), {
  sum: 'sum',
  total: 'sum',
  average: 'average',
  avg: 'average',
  min: 'min',
  max: 'max',
  count: 'count',
});

/** xffValues(): some value is present and the present share reaches xFilesFactor. */
export function xffOk(nonNull: number, total: number, xFilesFactor: number): boolean {
  if (nonNull === 0 || total === 0) return false;
  return nonNull / total >= xFilesFactor;
}

export function countNonNull(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!isNone(values[i])) n++;
  return n;
}

/** Unique path expressions joined by ",", in first-seen order. */
export function formatPathExpressions(list: Series[]): string {
  const seen: string[] = [];
  for (const s of list) if (!seen.includes(s.pathExpression)) seen.push(s.pathExpression);
  return seen.join(',');
}

/** aggKey(): the nodes (or tags) joined by "."; a name that ends with ")" is read through its first path. */
export function aggKey(series: Series, nodes: readonly (number | string)[]): string {
  const path = series.name.endsWith(')') ? firstPathExpression(series.name) : null;
  return nodes.map((n) => nodeOrTag(series, n, path)).join('.');
}

export function nodeOrTag(series: Series, n: number | string, pathExpression: string | null): string {
  if (typeof n === 'number') {
    const parts = (pathExpression ?? series.name).split(';')[0].split('.');
    const index = n < 0 ? parts.length + n : n;
    if (index >= 0 && index < parts.length) return parts[index];
  }
  return Object.hasOwn(series.tags, String(n)) ? series.tags[String(n)] : '';
}

/** _getFirstPathExpression(): the path inside `fn(fn2(a.b.c, …), …)`; the name itself when it does not parse. */
export function firstPathExpression(name: string): string | null {
  let expr: ReturnType<typeof parseTarget>;
  try {
    expr = parseTarget(name);
  } catch {
    return null;
  }
  for (;;) {
    if (expr.type === 'path') return expr.text;
    if (expr.type !== 'call' || expr.args.length === 0) return null;
    const first = expr.args[0];
    if (first.type !== 'path' && first.type !== 'call') return null;
    expr = first;
  }
}

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function lcm(a: number, b: number): number {
  if (a === b) return a;
  return (a / gcd(a, b)) * b;
}
