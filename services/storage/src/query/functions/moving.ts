import { aggFunc } from '../aggfuncs.js';
import type { Call, FunctionDef } from '../define.js';
import { defineFunctions, seriesListParam } from '../define.js';
import { parseInterval } from '../interval.js';
import { xffOk } from '../normalize.js';
import { bad } from '../params.js';
import type { Series, Value } from '../series.js';

/**
 * movingWindow() and its short forms, as graphite-web 1.1 computes them: the first
 * argument is fetched again from `from - window`, and point i is func over the window
 * points [i - n, i) (the point itself excluded), null below xFilesFactor. Sums, averages,
 * minimums and maximums slide in O(1) per point, so a long window costs no more than a short one.
 */
const INTERVAL_SUGGESTIONS = [5, 7, 10, '1min', '5min', '10min', '30min', '1hour'];

type WindowFunc = 'average' | 'sum' | 'min' | 'max' | 'median';

async function movingWindow(call: Call, func: WindowFunc, tagFunc: string = func): Promise<Series[]> {
  const { ctx, args } = call;
  const input = args.seriesList as Series[];
  if (input.length === 0) return [];
  const windowSize = args.windowSize as number | string;
  let previewSeconds: number;
  if (typeof windowSize === 'string') previewSeconds = Math.abs(parseInterval(windowSize) as number);
  else {
    if (windowSize < 0) throw bad(call.expr.name, 'windowSize must not be negative');
    previewSeconds = Math.max(...input.map((s) => s.step)) * windowSize;
  }
  const preview = await call.evaluate(call.expr.args[0], { ...ctx, from: ctx.from - previewSeconds });
  const tagName = `moving${tagFunc[0].toUpperCase()}${tagFunc.slice(1)}`;
  const xFilesFactor = args.xFilesFactor as number | null;
  return preview.map((s) => {
    const windowPoints = typeof windowSize === 'string' ? Math.floor(previewSeconds / s.step) : windowSize;
    const label = typeof windowSize === 'string' ? `"${windowSize}"` : String(windowSize);
    s.setTag(tagName, String(windowSize));
    ctx.budget.work(s.values.length * (func === 'median' ? windowPoints : 4));
    const values = windowValues(s.values, windowPoints, func, xFilesFactor ?? s.xFilesFactor);
    return s.copy({ name: `${tagName}(${s.name},${label})`, start: s.start + previewSeconds, values });
  });
}

/** For i in [n, len): func of the non-null values in values[i - n, i). */
export function windowValues(values: readonly Value[], n: number, func: WindowFunc, xFilesFactor: number): Value[] {
  if (n <= 0) return values.map(() => null);
  if (func === 'median') {
    const median = aggFunc('median') as (v: readonly Value[]) => Value;
    const out: Value[] = [];
    for (let i = n; i < values.length; i++) {
      const window = values.slice(i - n, i);
      const present = window.filter((v) => v !== null);
      out.push(present.length && xffOk(present.length, n, xFilesFactor) ? median(present) : null);
    }
    return out;
  }
  return func === 'min' || func === 'max' ? slidingExtreme(values, n, func, xFilesFactor) : slidingSum(values, n, func, xFilesFactor);
}

/** Running sum and count; re-summed exactly every n points so rounding cannot drift. */
function slidingSum(values: readonly Value[], n: number, func: 'sum' | 'average', xFilesFactor: number): Value[] {
  const out: Value[] = [];
  let sum = 0;
  let count = 0;
  for (let i = n; i < values.length; i++) {
    if ((i - n) % n === 0) {
      const window = values.slice(i - n, i);
      sum = exactSum(window);
      count = window.filter((v) => v !== null).length;
    } else {
      const leaving = values[i - n - 1];
      const entering = values[i - 1];
      if (leaving !== null) {
        sum -= leaving;
        count--;
      }
      if (entering !== null) {
        sum += entering;
        count++;
      }
    }
    if (count === 0 || !xffOk(count, n, xFilesFactor)) out.push(null);
    else out.push(func === 'sum' ? sum : sum / count);
  }
  return out;
}

function exactSum(window: readonly Value[]): number {
  let sum = 0;
  for (const v of window) if (v !== null) sum += v;
  return sum;
}

/** Monotonic deque of indexes: the window's min (or max) in O(1) amortized per point. */
function slidingExtreme(values: readonly Value[], n: number, func: 'min' | 'max', xFilesFactor: number): Value[] {
  const out: Value[] = [];
  const deque: number[] = [];
  let head = 0;
  let count = 0;
  const better = func === 'min' ? (a: number, b: number) => a <= b : (a: number, b: number) => a >= b;
  for (let i = 0; i < values.length; i++) {
    if (i >= n) {
      while (head < deque.length && deque[head] < i - n) head++;
      const extreme = head < deque.length ? values[deque[head]] : null;
      out.push(count > 0 && xffOk(count, n, xFilesFactor) ? extreme : null);
      const leaving = values[i - n];
      if (leaving !== null) count--;
    }
    const v = values[i];
    if (v !== null) {
      count++;
      while (deque.length > head && better(v, values[deque[deque.length - 1]] as number)) deque.pop();
      deque.push(i);
    }
  }
  return out;
}

function windowParams() {
  return [
    seriesListParam,
    { name: 'windowSize', type: 'intOrInterval', required: true, suggestions: INTERVAL_SUGGESTIONS },
    { name: 'xFilesFactor', type: 'float' },
  ] as const;
}

function movingDef(name: string, func: WindowFunc, description: string): FunctionDef {
  return { name, group: 'Calculate', description, params: windowParams(), run: (call) => movingWindow(call, func) };
}

export const MOVING_FUNCTIONS: FunctionDef[] = defineFunctions([
  movingDef('movingAverage', 'average', 'The average of the windowSize points (or interval) before each point.'),
  movingDef('movingSum', 'sum', 'The sum of the windowSize points (or interval) before each point.'),
  movingDef('movingMin', 'min', 'The lowest of the windowSize points (or interval) before each point.'),
  movingDef('movingMax', 'max', 'The highest of the windowSize points (or interval) before each point.'),
  movingDef('movingMedian', 'median', 'The median of the windowSize points (or interval) before each point.'),
  {
    name: 'movingWindow',
    group: 'Calculate',
    description: 'func (average, sum, min, max, median) over the windowSize points (or interval) before each point.',
    params: [
      seriesListParam,
      { name: 'windowSize', type: 'intOrInterval', required: true, suggestions: INTERVAL_SUGGESTIONS },
      { name: 'func', type: 'string', default: 'average', options: ['average', 'avg', 'max', 'median', 'min', 'sum'] },
      { name: 'xFilesFactor', type: 'float' },
    ],
    run: (call) => {
      const func = call.args.func as string;
      return movingWindow(call, (func === 'avg' ? 'average' : func) as WindowFunc, func);
    },
  },
]);
