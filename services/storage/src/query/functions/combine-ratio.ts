import { safeSum } from '../aggfuncs.js';
import { type Call, defineFunctions, type FunctionDef, type RenderContext, seriesListParam } from '../define.js';
import { aggKey, columns, formatPathExpressions, mapRows, normalize } from '../normalize.js';
import { bad } from '../params.js';
import { pyG, pyNumber } from '../pyformat.js';
import { isNone, noneValues, Series, type Values } from '../series.js';
import { constantLine } from './graph.js';

/** Combine functions beyond plain aggregation: ratios, percentiles of rows, counts. */
/** a / b, None for a None or a zero divisor (NaN in, NaN out). */
function safeDiv(a: number, b: number): number {
  if (b === 0) return Number.NaN;
  return a / b;
}

function percentOf(a: number, b: number): number {
  return safeDiv(a, b) * 100;
}

/** Two series zipped position by position after normalize(), into a new series. */
function zipPair(ctx: RenderContext, name: string, a: Series, b: Series, f: (x: number, y: number) => number): Series {
  const { start, end, step } = normalize([[a, b]]) as NonNullable<ReturnType<typeof normalize>>;
  const { cols, rows } = columns([a, b]);
  const values = mapRows(cols, rows, (row) => f(row[0], row[1]));
  return new Series({ name, start, end, step, values, xFilesFactor: ctx.xFilesFactor });
}

/** _getPercentile(): the nearest-rank percentile (or interpolated) of the non-null points. */
export function percentile(points: ArrayLike<number>, n: number, interpolate: boolean): number {
  const sorted = Float64Array.from(points)
    .filter((p) => !isNone(p))
    .sort();
  if (sorted.length === 0) return Number.NaN;
  const fractionalRank = (n / 100) * (sorted.length + 1);
  let rank = Math.trunc(fractionalRank);
  const rankFraction = fractionalRank - rank;
  if (!interpolate) rank += Math.ceil(rankFraction);
  let result: number;
  if (rank === 0) result = sorted[0];
  else if (rank - 1 === sorted.length) result = sorted[sorted.length - 1];
  else result = sorted[rank - 1];
  if (interpolate && rank !== sorted.length) result = result + rankFraction * (sorted[rank] - result);
  return result;
}

function divideSeries({ ctx, args }: Call): Series[] {
  const dividends = args.dividendSeriesList as Series[];
  const divisors = args.divisorSeries as Series[];
  if (divisors.length === 0) {
    for (const s of dividends) {
      s.rename(`divideSeries(${s.name},MISSING)`);
      s.data = noneValues(s.data.length);
    }
    return dividends;
  }
  if (divisors.length > 1) throw bad('divideSeries', `the second argument must be exactly 1 series (got ${divisors.length})`);
  const [divisor] = divisors;
  return dividends.map((s) => zipPair(ctx, `divideSeries(${s.name},${divisor.name})`, s, divisor, safeDiv));
}

/** Sums of groups, for asPercent's totals (one series stays itself). */
function groupTotals(ctx: RenderContext, groups: Map<string, Series[]>): Map<string, Series> {
  const totals = new Map<string, Series>();
  for (const [key, members] of groups) {
    if (members.length === 1) {
      totals.set(key, members[0]);
      continue;
    }
    const { start, end, step } = normalize([members]) as NonNullable<ReturnType<typeof normalize>>;
    const { cols, rows } = columns(members);
    const values = mapRows(cols, rows, safeSum);
    totals.set(
      key,
      new Series({ name: `sumSeries(${formatPathExpressions(members)})`, start, end, step, values, xFilesFactor: ctx.xFilesFactor }),
    );
  }
  return totals;
}

function groupByKey(list: Series[], nodes: readonly (number | string)[], keys: string[]): Map<string, Series[]> {
  const groups = new Map<string, Series[]>();
  for (const s of list) {
    const key = aggKey(s, nodes);
    if (!keys.includes(key)) keys.push(key);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return groups;
}

function asPercentByNodes(ctx: RenderContext, list: Series[], total: unknown, nodes: (number | string)[]): Series[] {
  const keys: string[] = [];
  const groups = groupByKey(list, nodes, keys);
  let totals: Map<string, Series>;
  if (total === null) totals = groupTotals(ctx, groups);
  else if (Array.isArray(total)) totals = groupTotals(ctx, groupByKey(total as Series[], nodes, keys));
  else throw bad('asPercent', 'with nodes, total must be none or a series list');
  const out: Series[] = [];
  const xFilesFactor = ctx.xFilesFactor;
  for (const key of keys) {
    const members = groups.get(key);
    const totalSeries = totals.get(key);
    if (!members) {
      const t = totalSeries as Series;
      const values = noneValues(t.points().length);
      out.push(new Series({ name: `asPercent(MISSING,${t.name})`, start: t.start, end: t.end, step: t.step, values, xFilesFactor }));
      continue;
    }
    for (const s of members) {
      if (!totalSeries) {
        out.push(
          new Series({
            name: `asPercent(${s.name},MISSING)`,
            start: s.start,
            end: s.end,
            step: s.step,
            values: noneValues(s.points().length),
            xFilesFactor,
          }),
        );
      } else out.push(zipPair(ctx, `asPercent(${s.name},${totalSeries.name})`, s, totalSeries, percentOf));
    }
  }
  return out;
}

function asPercent(call: Call): Series[] {
  const { ctx, args } = call;
  const list = args.seriesList as Series[];
  const total = args.total;
  const nodes = args.nodes as (number | string)[];
  if (!normalize([list])) return [];
  if (nodes.length > 0) return asPercentByNodes(ctx, list, total, nodes);
  let totalValues: Values;
  let totalText: string;
  if (total === null) {
    const { cols, rows } = columns(list);
    totalValues = mapRows(cols, rows, safeSum);
    totalText = `sumSeries(${formatPathExpressions(list)})`;
  } else if (Array.isArray(total)) {
    const totals = total as Series[];
    if (totals.length !== 1 && totals.length !== list.length) {
      throw bad('asPercent', 'the total must be missing, a number, exactly 1 series or as many series as the first argument');
    }
    if (totals.length === list.length && totals.length !== 1) {
      const byName = (a: Series, b: Series) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      const sortedTotals = [...totals].sort(byName);
      return [...list]
        .sort(byName)
        .map((s, i) => zipPair(ctx, `asPercent(${s.name},${sortedTotals[i].name})`, s, sortedTotals[i], percentOf));
    }
    normalize([list, totals]);
    totalValues = totals[0].points();
    totalText = totals[0].name;
  } else if (typeof total === 'number') {
    totalValues = new Float64Array(list[0].data.length).fill(total);
    totalText = pyNumber(total, call.isInteger('total'));
  } else throw bad('asPercent', 'total must be none, a number or a series list');
  return list.map((s) => {
    const points = s.points();
    const n = Math.max(points.length, totalValues.length);
    const values = noneValues(n);
    for (let i = 0; i < n; i++) if (i < points.length && i < totalValues.length) values[i] = percentOf(points[i], totalValues[i]);
    // graphite-web keeps the series' own step here even when normalize() consolidated it.
    return new Series({
      name: `asPercent(${s.name},${totalText || s.pathExpression})`,
      start: s.start,
      end: s.end,
      step: s.step,
      values,
      xFilesFactor: ctx.xFilesFactor,
    });
  });
}

function percentileOfSeries({ ctx, args }: Call): Series[] {
  const list = args.seriesList as Series[];
  const n = args.n as number;
  if (n <= 0) throw bad('percentileOfSeries', 'the requested percent must be greater than 0');
  if (list.length === 0) return [];
  const name = `percentileOfSeries(${list[0].pathExpression},${pyG(n)})`;
  const { start, end, step } = normalize([list]) as NonNullable<ReturnType<typeof normalize>>;
  const { cols, rows } = columns(list);
  ctx.budget.work(rows * cols.length * 4);
  const values = mapRows(cols, rows, (row) => percentile(row, n, args.interpolate as boolean));
  return [new Series({ name, start, end, step, values, xFilesFactor: ctx.xFilesFactor })];
}

function countSeries({ ctx, args }: Call): Series[] {
  const lists = args.seriesLists as Series[][];
  if (lists.length === 0) {
    const [line] = constantLine(ctx, 0, true);
    line.pathExpression = 'countSeries()';
    return [line];
  }
  const normalized = normalize(lists);
  if (!normalized) return [];
  const { list, start, end, step } = normalized;
  const name = `countSeries(${formatPathExpressions(list)})`;
  const { rows } = columns(list);
  const values = new Float64Array(rows).fill(list.length);
  const series = new Series({ name, start, end, step, values, xFilesFactor: ctx.xFilesFactor });
  series.integerValues = true;
  return [series];
}

export const RATIO_FUNCTIONS: FunctionDef[] = defineFunctions([
  {
    name: 'divideSeries',
    group: 'Combine',
    description: 'Divides each series of the first list by the single series of the second (null where it is 0 or null).',
    params: [
      { name: 'dividendSeriesList', type: 'seriesList', required: true },
      { name: 'divisorSeries', type: 'seriesList', required: true },
    ],
    run: divideSeries,
  },
  {
    name: 'asPercent',
    group: 'Combine',
    description: 'Each series as a percent of a total: their sum, a number, one series, matching series, or per node group.',
    params: [seriesListParam, { name: 'total', type: 'any' }, { name: 'nodes', type: 'nodeOrTag', multiple: true }],
    aggregator: true,
    run: asPercent,
  },
  {
    name: 'percentileOfSeries',
    group: 'Combine',
    description: 'The n-th percentile of the series at each point (nearest rank, or interpolated).',
    params: [seriesListParam, { name: 'n', type: 'float', required: true }, { name: 'interpolate', type: 'boolean', default: false }],
    run: percentileOfSeries,
  },
  {
    name: 'countSeries',
    group: 'Combine',
    description: 'The number of series at each point (a line at 0 without argument).',
    params: [{ name: 'seriesLists', type: 'seriesList', multiple: true }],
    aggregator: true,
    run: countSeries,
  },
]);
