import { aggFunc } from '../aggfuncs.js';
import { type Call, defineFunctions, type FunctionDef, type RenderContext, seriesListParam, seriesListsParam } from '../define.js';
import { aggKey, columnAggregate, columns, countNonNull, formatPathExpressions, mapRows, normalize, xffOk } from '../normalize.js';
import { bad, validateArgs } from '../params.js';
import { Series } from '../series.js';

/** graphite-web's "Combine" group: series aggregated row by row after normalize(). */
export function aggregate(ctx: RenderContext, lists: Series[][], funcName: string, xFilesFactor?: number | null): Series[] {
  const func = funcName.endsWith('Series') ? funcName.slice(0, -6) : funcName;
  const fn = aggFunc(func);
  if (!fn) throw bad('aggregate', `unsupported aggregation function ${JSON.stringify(funcName)}`);
  const normalized = normalize(lists);
  if (!normalized) return [];
  const { list, start, end, step } = normalized;
  const xff = xFilesFactor ?? ctx.xFilesFactor;
  const name = `${func}Series(${formatPathExpressions(list)})`;
  const { cols, rows } = columns(list);
  ctx.budget.work(rows * cols.length);
  const values =
    columnAggregate(func, cols, rows, xff) ??
    mapRows(cols, rows, (row) => (xffOk(countNonNull(row), row.length, xff) ? fn(row) : Number.NaN));
  let tags = { ...list[0].tags };
  for (const s of list) tags = Object.fromEntries(Object.entries(tags).filter(([k, v]) => s.tags[k] === v));
  if (!Object.hasOwn(tags, 'name')) tags.name = name;
  tags.aggregatedBy = func;
  return [new Series({ name, start, end, step, values, xFilesFactor: xff, tags })];
}

function seriesAggregator(name: string, func: string, description: string): FunctionDef {
  return {
    name,
    group: 'Combine',
    description,
    params: [seriesListsParam],
    aggregator: true,
    run: ({ ctx, args }) => aggregate(ctx, args.seriesLists as Series[][], func),
  };
}

/** Series grouped by a key, each group aggregated (a Series function or an aggregation name), renamed to the key. */
export async function aggregateGroups(call: Call, groups: Map<string, Series[]>, callback: string): Promise<Series[]> {
  const out: Series[] = [];
  const def = AGGREGATOR_DEFS.get(callback);
  for (const [key, members] of groups) {
    let result: Series[];
    if (def) {
      const { values, integers } = validateArgs(def, [members], {}, AGGREGATOR_NAMES);
      result = await def.run({ ...call, args: values, isInteger: (n) => integers.has(n) });
    } else result = aggregate(call.ctx, [members], callback);
    if (result.length === 0) continue;
    result[0].name = key;
    out.push(result[0]);
  }
  return out;
}

function groupBy(list: Series[], keyOf: (s: Series) => string): Map<string, Series[]> {
  const groups = new Map<string, Series[]>();
  for (const s of list) {
    const key = keyOf(s);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return groups;
}

function withoutNodes(name: string, positions: readonly number[]): string {
  return name
    .split('.')
    .filter((_, i) => !positions.includes(i))
    .join('.');
}

const xFilesFactorParam = { name: 'xFilesFactor', type: 'float' } as const;

const DEFS: FunctionDef[] = defineFunctions([
  {
    name: 'aggregate',
    group: 'Combine',
    description: 'Aggregates the series row by row with the named function (sum, average, min, max, …).',
    params: [seriesListParam, { name: 'func', type: 'aggFunc', required: true }, xFilesFactorParam],
    run: ({ ctx, args }) => aggregate(ctx, [args.seriesList as Series[]], args.func as string, args.xFilesFactor as number | null),
  },
  seriesAggregator('sumSeries', 'sum', 'Adds the series together at each point (alias: sum).'),
  seriesAggregator('averageSeries', 'average', 'Averages the series at each point (alias: avg).'),
  seriesAggregator('minSeries', 'min', 'The lowest value of the series at each point.'),
  seriesAggregator('maxSeries', 'max', 'The highest value of the series at each point.'),
  seriesAggregator('diffSeries', 'diff', 'The first series minus the others at each point.'),
  seriesAggregator('stddevSeries', 'stddev', 'The standard deviation of the series at each point.'),
  seriesAggregator('rangeOfSeries', 'rangeOf', 'The highest minus the lowest value of the series at each point.'),
  {
    name: 'multiplySeries',
    group: 'Combine',
    description: 'Multiplies the series together at each point (null as soon as one is null).',
    params: [seriesListsParam],
    aggregator: true,
    run: ({ ctx, args }) => {
      const lists = args.seriesLists as Series[][];
      if (lists.length === 1 && lists[0].length === 1) return lists[0];
      return aggregate(ctx, lists, 'multiply');
    },
  },
  {
    name: 'sumSeriesWithWildcards',
    group: 'Combine',
    description: 'Sums the series that are equal once the given node positions are removed from their names.',
    params: [seriesListParam, { name: 'position', type: 'node', multiple: true }],
    aggregator: true,
    run: (call) => withWildcards(call, 'sum'),
  },
  {
    name: 'averageSeriesWithWildcards',
    group: 'Combine',
    description: 'Averages the series that are equal once the given node positions are removed from their names.',
    params: [seriesListParam, { name: 'position', type: 'node', multiple: true }],
    aggregator: true,
    run: (call) => withWildcards(call, 'average'),
  },
  {
    name: 'aggregateWithWildcards',
    group: 'Combine',
    description: 'Aggregates with func the series that are equal once the given node positions are removed.',
    params: [seriesListParam, { name: 'func', type: 'aggFunc', required: true }, { name: 'position', type: 'node', multiple: true }],
    run: (call) => withWildcards(call, call.args.func as string),
  },
  {
    name: 'groupByNode',
    group: 'Combine',
    description: 'Groups the series by one node of their path and aggregates each group with callback; named by the node.',
    params: [
      seriesListParam,
      { name: 'nodeNum', type: 'nodeOrTag', required: true },
      { name: 'callback', type: 'aggOrSeriesFunc', default: 'average' },
    ],
    run: (call) => {
      const node = call.args.nodeNum as number | string;
      return aggregateGroups(
        call,
        groupBy(call.args.seriesList as Series[], (s) => aggKey(s, [node])),
        call.args.callback as string,
      );
    },
  },
  {
    name: 'groupByNodes',
    group: 'Combine',
    description: 'Groups the series by several nodes of their path and aggregates each group with callback.',
    params: [
      seriesListParam,
      { name: 'callback', type: 'aggOrSeriesFunc', required: true },
      { name: 'nodes', type: 'nodeOrTag', multiple: true },
    ],
    run: (call) => {
      const nodes = call.args.nodes as (number | string)[];
      return aggregateGroups(
        call,
        groupBy(call.args.seriesList as Series[], (s) => aggKey(s, nodes)),
        call.args.callback as string,
      );
    },
  },
  {
    name: 'group',
    group: 'Combine',
    description: 'Puts several series lists together into one.',
    params: [{ name: 'seriesLists', type: 'seriesList', multiple: true }],
    run: ({ args }) => (args.seriesLists as Series[][]).flat(),
  },
]);

function withWildcards(call: Call, func: string): Series[] {
  const positions = call.args.position as number[];
  const groups = groupBy(call.args.seriesList as Series[], (s) => withoutNodes(s.name, positions));
  const out: Series[] = [];
  for (const [key, members] of groups) {
    const [result] = aggregate(call.ctx, [members], func);
    result.name = key;
    out.push(result);
  }
  return out;
}

export const COMBINE_FUNCTIONS = DEFS;

/** Filled by the registry: the functions usable as groupByNode's callback. */
export const AGGREGATOR_DEFS = new Map<string, FunctionDef>();
export const AGGREGATOR_NAMES = new Set<string>();
