import { type AggFunc, aggFunc } from '../aggfuncs.js';
import { type Call, defineFunctions, type FunctionDef, seriesListParam } from '../define.js';
import { parseInterval } from '../interval.js';
import { xffOk } from '../normalize.js';
import { bad } from '../params.js';
import { pyFloat, pyG } from '../pyformat.js';
import { isNone, type Series, type Values } from '../series.js';
import { percentile } from './combine-ratio.js';

/** summarize, hitcount, timeShift and nPercentile, with graphite-web 1.1's buckets and names. */
function positiveInterval(fn: string, text: string): number {
  const seconds = parseInterval(text);
  if (seconds === null || seconds <= 0) throw bad(fn, `the interval ${JSON.stringify(text)} must be a positive time such as "5min"`);
  return seconds;
}

/** _summarizeValues(): func over each interval's points, null below xFilesFactor. */
function summarizeValues(s: Series, func: string, interval: number, newStart: number, newEnd: number): { values: Values; end: number } {
  const f = aggFunc(func) as AggFunc;
  const points = s.points();
  const count = Math.min(Math.max(0, Math.ceil((s.end - s.start) / s.step)), points.length);
  const intervalPoints = interval / s.step;
  const values: number[] = [];
  let i = 0;
  let t = newStart;
  while (t < newEnd) {
    let first = i;
    let nonNull = 0;
    while (i < count && s.start + i * s.step < t + interval) {
      const ts = s.start + i * s.step;
      if (ts <= t) first = i;
      if (ts >= t && !isNone(points[i])) nonNull++;
      i++;
    }
    values.push(xffOk(nonNull, intervalPoints, s.xFilesFactor) ? f(points.subarray(first, i)) : Number.NaN);
    t += interval;
  }
  return { values: Float64Array.from(values), end: t };
}

function summarize({ ctx, args }: Call): Series[] {
  const text = args.intervalString as string;
  const interval = positiveInterval('summarize', text);
  const func = args.func as string;
  const alignToFrom = args.alignToFrom as boolean;
  return (args.seriesList as Series[]).map((s) => {
    let newStart = s.start;
    let newEnd = s.end;
    if (!alignToFrom) {
      newStart = s.start - (s.start % interval);
      newEnd = s.end - (s.end % interval) + interval;
    }
    ctx.budget.work(s.data.length + (newEnd - newStart) / interval);
    const { values, end } = summarizeValues(s, func, interval, newStart, newEnd);
    s.setTag('summarize', text);
    s.setTag('summarizeFunction', func);
    const name = `summarize(${s.name}, "${text}", "${func}"${alignToFrom ? ', true' : ''})`;
    return s.copy({ name, start: newStart, end: alignToFrom ? end : newEnd, step: interval, values });
  });
}

function hitcountValues(s: Series, interval: number): { values: Values; start: number } {
  const step = s.step;
  const bucketCount = Math.ceil((s.end - s.start) / interval);
  const buckets: number[][] = Array.from({ length: bucketCount }, () => []);
  const newStart = s.end - bucketCount * interval;
  s.points().forEach((value, i) => {
    if (isNone(value)) return;
    const startTime = s.start + i * step;
    const startBucket = Math.floor((startTime - newStart) / interval);
    const startMod = startTime - newStart - startBucket * interval;
    const endTime = startTime + step;
    let endBucket = Math.floor((endTime - newStart) / interval);
    let endMod = endTime - newStart - endBucket * interval;
    if (endBucket >= bucketCount) {
      endBucket = bucketCount - 1;
      endMod = interval;
    }
    if (startBucket === endBucket) {
      if (startBucket >= 0) buckets[startBucket].push(value * (endMod - startMod));
      return;
    }
    if (startBucket >= 0) buckets[startBucket].push(value * (interval - startMod));
    for (let j = startBucket + 1; j < endBucket; j++) if (j >= 0) buckets[j].push(value * interval);
    if (endMod > 0) buckets[endBucket].push(value * endMod);
  });
  return { values: Float64Array.from(buckets, (b) => (b.length ? b.reduce((a, v) => a + v, 0) : Number.NaN)), start: newStart };
}

async function hitcount(call: Call): Promise<Series[]> {
  const { ctx, args } = call;
  const text = args.intervalString as string;
  const interval = positiveInterval('hitcount', text);
  const align = args.alignToInterval as boolean;
  let list = args.seriesList as Series[];
  if (align) {
    // Times are UTC here, so day and hour boundaries are multiples of the unit.
    const unit = interval >= 86_400 ? 86_400 : interval >= 3600 ? 3600 : interval >= 60 ? 60 : 1;
    list = await call.evaluate(call.expr.args[0], { ...ctx, from: ctx.from - (ctx.from % unit) });
    for (const s of list) s.end = s.start + Math.floor((s.end - s.start) / interval) * interval + interval;
  }
  return list.map((s) => {
    ctx.budget.work(s.data.length + (s.end - s.start) / interval);
    const { values, start } = hitcountValues(s, interval);
    s.setTag('hitcount', text);
    return s.copy({ name: `hitcount(${s.name}, "${text}"${align ? ', true' : ''})`, start, step: interval, values });
  });
}

async function timeShift(call: Call): Promise<Series[]> {
  const { ctx, args } = call;
  let text = args.timeShift as string;
  if (text[0] >= '0' && text[0] <= '9') text = `-${text}`;
  const delta = parseInterval(text) as number;
  const list = args.seriesList as Series[];
  if (list.length === 0) return [];
  const [first] = list;
  const shifted = await call.evaluate(call.expr.args[0], { ...ctx, from: ctx.from + delta, until: ctx.until + delta });
  for (const s of shifted) {
    s.setTag('timeShift', text);
    s.name = `timeShift(${s.name}, "${text}")`;
    s.end = args.resetEnd ? first.end : s.end - s.start + first.start;
    s.start = first.start;
  }
  return shifted;
}

function nPercentile({ args }: Call): Series[] {
  const n = args.n as number;
  if (n === 0) throw bad('nPercentile', 'the requested percent must not be 0');
  const out: Series[] = [];
  for (const s of args.seriesList as Series[]) {
    const present = s.points().filter((v) => !isNone(v));
    if (present.length === 0) continue;
    const value = percentile(present, n, false);
    if (isNone(value)) continue;
    s.setTag('nPercentile', pyFloat(n));
    const count = Math.max(0, Math.trunc((s.end - s.start) / s.step));
    out.push(s.copy({ name: `nPercentile(${s.name}, ${pyG(n)})`, values: new Float64Array(count).fill(value) }));
  }
  return out;
}

const INTERVALS = ['10min', '1h', '1d'];

export const CALCULATE_FUNCTIONS: FunctionDef[] = defineFunctions([
  {
    name: 'summarize',
    group: 'Transform',
    description:
      'One point per interval: func (sum by default) of the points in it; buckets on multiples of the interval unless alignToFrom.',
    params: [
      seriesListParam,
      { name: 'intervalString', type: 'interval', required: true, suggestions: INTERVALS },
      { name: 'func', type: 'aggFunc', default: 'sum' },
      { name: 'alignToFrom', type: 'boolean', default: false },
    ],
    run: summarize,
  },
  {
    name: 'hitcount',
    group: 'Transform',
    description: 'Rates (per second) turned into counts per interval.',
    params: [
      seriesListParam,
      { name: 'intervalString', type: 'interval', required: true, suggestions: INTERVALS },
      { name: 'alignToInterval', type: 'boolean', default: false },
    ],
    run: hitcount,
  },
  {
    name: 'timeShift',
    group: 'Transform',
    description: 'The series as it was timeShift ago ("1d", "-7d"), drawn over the current range.',
    params: [
      seriesListParam,
      { name: 'timeShift', type: 'interval', required: true, suggestions: ['1h', '6h', '12h', '1d', '2d', '7d', '14d', '30d'] },
      { name: 'resetEnd', type: 'boolean', default: true },
      { name: 'alignDst', type: 'boolean', default: false },
    ],
    run: timeShift,
  },
  {
    name: 'nPercentile',
    group: 'Calculate',
    description: 'A line at the n-th percentile of each series.',
    params: [seriesListParam, { name: 'n', type: 'float', required: true }],
    run: nPercentile,
  },
]);
