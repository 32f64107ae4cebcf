import { type AggFunc, aggFunc, safeMax } from '../aggfuncs.js';
import { type Call, defineFunctions, type FunctionDef, seriesListParam } from '../define.js';
import { countNonNull, xffOk } from '../normalize.js';
import { compileUserRegex } from '../regex.js';
import { isNone, type Series } from '../series.js';

/** The "Filter Series" and "Sorting" groups: which series are kept, and in which order. */
type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=';

/** None (NaN) passes != and the "below" tests, as Python 2's None < number did. */
const OPERATORS: Record<Operator, (v: number, t: number) => boolean> = {
  '=': (v, t) => v === t,
  '!=': (v, t) => v !== t,
  '>': (v, t) => v > t,
  '>=': (v, t) => v >= t,
  '<': (v, t) => isNone(v) || v < t,
  '<=': (v, t) => isNone(v) || v <= t,
};

function list(call: Call): Series[] {
  return call.args.seriesList as Series[];
}

function fn(name: string): AggFunc {
  return aggFunc(name.endsWith('Series') ? name.slice(0, -6) : name) as AggFunc;
}

/** Python's sort by key (None as -inf), stable, optionally reversed the way list.sort(reverse=True) is. */
function sortByKey(series: Series[], key: (s: Series) => number, reverse: boolean): Series[] {
  const keyed = series.map((s) => {
    const k = key(s);
    return { s, k: isNone(k) ? Number.NEGATIVE_INFINITY : k };
  });
  keyed.sort((a, b) => (reverse ? b.k - a.k : a.k - b.k) || 0);
  return keyed.map((e) => e.s);
}

/** Python `seriesList[0:n]` (a negative n drops from the end). */
function head(series: Series[], n: number): Series[] {
  return series.slice(0, n);
}

function filterBy(call: Call, func: string, op: Operator): Series[] {
  const f = fn(func);
  const n = call.args.n as number;
  return list(call).filter((s) => OPERATORS[op](f(s.points()), n));
}

function sortByName(call: Call): Series[] {
  const natural = call.args.natural as boolean;
  const key = (s: Series) => (natural ? s.name.replace(/\d+/g, (d) => d.padStart(10, '0')) : s.name);
  const sorted = [...list(call)].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return call.args.reverse ? reverseStable(sorted, key) : sorted;
}

/** list.sort(key, reverse=True): descending, equal keys keep their original order. */
function reverseStable(sorted: Series[], key: (s: Series) => string): Series[] {
  const out: Series[] = [];
  let i = sorted.length;
  while (i > 0) {
    let j = i - 1;
    while (j > 0 && key(sorted[j - 1]) === key(sorted[i - 1])) j--;
    out.push(...sorted.slice(j, i));
    i = j;
  }
  return out;
}

const nParam = (type: 'integer' | 'float') => ({ name: 'n', type, required: true }) as const;

function topDef(name: string, func: string, highest: boolean, description: string): FunctionDef {
  return {
    name,
    group: 'Filter Series',
    description,
    params: [seriesListParam, nParam('integer')],
    run: (call) =>
      head(
        sortByKey(list(call), (s) => fn(func)(s.points()), highest),
        call.args.n as number,
      ),
  };
}

function thresholdDef(name: string, func: string, op: Operator, description: string): FunctionDef {
  return { name, group: 'Filter Series', description, params: [seriesListParam, nParam('float')], run: (call) => filterBy(call, func, op) };
}

function regexFilter(call: Call, keep: boolean): Series[] {
  const re = compileUserRegex(call.expr.name, call.args.pattern as string);
  return list(call).filter((s) => re.test(s.name) === keep);
}

export const FILTER_FUNCTIONS: FunctionDef[] = defineFunctions([
  topDef('highestAverage', 'average', true, 'The n series with the highest average.'),
  topDef('highestCurrent', 'current', true, 'The n series with the highest last value.'),
  topDef('highestMax', 'max', true, 'The n series with the highest maximum.'),
  topDef('lowestAverage', 'average', false, 'The n series with the lowest average.'),
  topDef('lowestCurrent', 'current', false, 'The n series with the lowest last value.'),
  {
    name: 'highest',
    group: 'Filter Series',
    description: 'The n series with the highest func (average by default).',
    params: [seriesListParam, { name: 'n', type: 'integer', default: 1 }, { name: 'func', type: 'aggFunc', default: 'average' }],
    run: (call) =>
      head(
        sortByKey(list(call), (s) => fn(call.args.func as string)(s.points()), true),
        call.args.n as number,
      ),
  },
  {
    name: 'lowest',
    group: 'Filter Series',
    description: 'The n series with the lowest func (average by default).',
    params: [seriesListParam, { name: 'n', type: 'integer', default: 1 }, { name: 'func', type: 'aggFunc', default: 'average' }],
    run: (call) =>
      head(
        sortByKey(list(call), (s) => fn(call.args.func as string)(s.points()), false),
        call.args.n as number,
      ),
  },
  thresholdDef('maximumAbove', 'max', '>', 'The series whose maximum is above n.'),
  thresholdDef('maximumBelow', 'max', '<=', 'The series whose maximum is n or below.'),
  thresholdDef('minimumAbove', 'min', '>', 'The series whose minimum is above n.'),
  thresholdDef('minimumBelow', 'min', '<=', 'The series whose minimum is n or below.'),
  thresholdDef('averageAbove', 'average', '>', 'The series whose average is above n.'),
  thresholdDef('averageBelow', 'average', '<=', 'The series whose average is n or below.'),
  thresholdDef('currentAbove', 'current', '>', 'The series whose last value is above n.'),
  thresholdDef('currentBelow', 'current', '<=', 'The series whose last value is n or below.'),
  {
    name: 'filterSeries',
    group: 'Filter Series',
    description: 'The series whose func (average, max, …) compares to threshold with operator (=, !=, >, >=, <, <=).',
    params: [
      seriesListParam,
      { name: 'func', type: 'aggFunc', required: true },
      { name: 'operator', type: 'string', required: true, options: Object.keys(OPERATORS).sort() },
      { name: 'threshold', type: 'float', required: true },
    ],
    run: (call) => {
      const f = fn(call.args.func as string);
      const op = OPERATORS[call.args.operator as Operator];
      return list(call).filter((s) => op(f(s.points()), call.args.threshold as number));
    },
  },
  {
    name: 'limit',
    group: 'Filter Series',
    description: 'The first n series.',
    params: [seriesListParam, nParam('integer')],
    run: (call) => head(list(call), call.args.n as number),
  },
  {
    name: 'exclude',
    group: 'Filter Series',
    description: 'The series whose name does not match the regex pattern (RE2 syntax).',
    params: [seriesListParam, { name: 'pattern', type: 'string', required: true }],
    run: (call) => regexFilter(call, false),
  },
  {
    name: 'grep',
    group: 'Filter Series',
    description: 'The series whose name matches the regex pattern (RE2 syntax).',
    params: [seriesListParam, { name: 'pattern', type: 'string', required: true }],
    run: (call) => regexFilter(call, true),
  },
  {
    name: 'removeEmptySeries',
    group: 'Filter Series',
    description: 'The series that have values (at least the xFilesFactor share of their points).',
    params: [seriesListParam, { name: 'xFilesFactor', type: 'float' }],
    run: (call) => {
      const xff = (call.args.xFilesFactor as number | null) ?? 0;
      return list(call).filter((s) => {
        const points = s.points();
        return xffOk(countNonNull(points), points.length, xff);
      });
    },
  },
  {
    name: 'sortByName',
    group: 'Sorting',
    description: 'The series sorted by name (natural: numbers by value).',
    params: [seriesListParam, { name: 'natural', type: 'boolean', default: false }, { name: 'reverse', type: 'boolean', default: false }],
    run: sortByName,
  },
  {
    name: 'sortByMaxima',
    group: 'Sorting',
    description: 'The series sorted by their maximum, highest first.',
    params: [seriesListParam],
    run: (call) => sortByKey(list(call), (s) => safeMax(s.points()), true),
  },
  {
    name: 'sortByTotal',
    group: 'Sorting',
    description: 'The series sorted by the sum of their values, highest first.',
    params: [seriesListParam],
    run: (call) => sortByKey(list(call), (s) => fn('sum')(s.points()), true),
  },
  {
    name: 'sortBy',
    group: 'Sorting',
    description: 'The series sorted by func (average by default), optionally highest first.',
    params: [seriesListParam, { name: 'func', type: 'aggFunc', default: 'average' }, { name: 'reverse', type: 'boolean', default: false }],
    run: (call) => sortByKey(list(call), (s) => fn(call.args.func as string)(s.points()), call.args.reverse as boolean),
  },
]);
