import { safeMedian } from '../aggfuncs.js';
import type { Call, FunctionDef } from '../define.js';
import { defineFunctions, seriesListParam } from '../define.js';
import { parseInterval } from '../interval.js';
import { countNonNull, xffOk } from '../normalize.js';
import { bad } from '../params.js';
import { isNone, noneValues, type Series, type Values } from '../series.js';

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
    ctx.budget.work(s.data.length * (func === 'median' ? windowPoints : 4));
    const values = windowValues(s.data, windowPoints, func, xFilesFactor ?? s.xFilesFactor);
    return s.copy({ name: `${tagName}(${s.name},${label})`, start: s.start + previewSeconds, values });
  });
}

/** For i in [n, len): func of the present values in values[i - n, i). */
export function windowValues(values: Values, n: number, func: WindowFunc, xFilesFactor: number): Values {
  if (n <= 0) return noneValues(values.length);
  const out = noneValues(Math.max(0, values.length - n));
  if (func === 'median') {
    for (let i = n; i < values.length; i++) {
      const window = values.subarray(i - n, i);
      const present = countNonNull(window);
      if (present && xffOk(present, n, xFilesFactor)) out[i - n] = safeMedian(window);
    }
    return out;
  }
  if (func === 'min' || func === 'max') slidingExtreme(values, n, func, xFilesFactor, out);
  else slidingSum(values, n, func, xFilesFactor, out);
  return out;
}

/** Running sum and count; re-summed exactly every n points so rounding cannot drift. */
function slidingSum(values: Values, n: number, func: 'sum' | 'average', xFilesFactor: number, out: Values): void {
  let sum = 0;
  let count = 0;
  for (let i = n; i < values.length; i++) {
    if ((i - n) % n === 0) {
      sum = 0;
      count = 0;
      for (let j = i - n; j < i; j++) {
        if (isNone(values[j])) continue;
        sum += values[j];
        count++;
      }
    } else {
      const leaving = values[i - n - 1];
      const entering = values[i - 1];
      if (!isNone(leaving)) {
        sum -= leaving;
        count--;
      }
      if (!isNone(entering)) {
        sum += entering;
        count++;
      }
    }
    if (count !== 0 && xffOk(count, n, xFilesFactor)) out[i - n] = func === 'sum' ? sum : sum / count;
  }
}

/** Monotonic deque of indexes: the window's min (or max) in O(1) amortized per point. */
function slidingExtreme(values: Values, n: number, func: 'min' | 'max', xFilesFactor: number, out: Values): void {
  const deque: number[] = [];
  let head = 0;
  let count = 0;
  const better = func === 'min' ? (a: number, b: number) => a <= b : (a: number, b: number) => a >= b;
  for (let i = 0; i < values.length; i++) {
    if (i >= n) {
      while (head < deque.length && deque[head] < i - n) head++;
      if (head < deque.length && count > 0 && xffOk(count, n, xFilesFactor)) out[i - n] = values[deque[head]];
      if (!isNone(values[i - n])) count--;
    }
    const v = values[i];
    if (!isNone(v)) {
      count++;
      while (deque.length > head && better(v, values[deque[deque.length - 1]])) deque.pop();
      deque.push(i);
    }
  }
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
