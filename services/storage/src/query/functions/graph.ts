import { type Call, defineFunctions, type FunctionDef, type RenderContext, seriesListParam } from '../define.js';
import { pyFloat, pyG } from '../pyformat.js';
import { CONSOLIDATION_FUNCS, type ConsolidationFunc, isNone, Series } from '../series.js';

/**
 * Lines and display functions. Display-only ones (color, lineWidth, dashed, stacked,
 * secondYAxis) keep the data and give the name graphite-web gives; their option is kept
 * on the series for png.
 */
export function constantLine(ctx: RenderContext, value: number, integer = false): Series[] {
  const step = Math.max(1, Math.trunc((ctx.until - ctx.from) / 2));
  const name = integer ? String(value) : pyFloat(value);
  return [
    new Series({
      name,
      pathExpression: `constantLine(${name})`,
      start: ctx.from,
      end: ctx.until,
      step,
      values: [value, value, value],
      xFilesFactor: ctx.xFilesFactor,
    }),
  ];
}

function setOption(call: Call, option: string, value: string | number | boolean): Series[] {
  const list = call.args.seriesList as Series[];
  for (const s of list) s.options[option] = value;
  return list;
}

function stacked({ ctx, args }: Call): Series[] {
  const stackName = (args.stack as string | null) ?? '__DEFAULT__';
  const total = ctx.stacks.get(stackName) ?? [];
  const out = (args.seriesList as Series[]).map((s) => {
    // Indexes the raw values, as graphite-web does (not the consolidated points).
    const values = s.data.map((v, i) => {
      if (total.length <= i) total.push(0);
      if (isNone(v)) return Number.NaN;
      total[i] += v;
      return total[i];
    });
    if (stackName === '__DEFAULT__') s.setTag('stacked', stackName);
    const copy = s.copy({ name: stackName === '__DEFAULT__' ? `stacked(${s.name})` : s.name, values });
    copy.options.stacked = true;
    return copy;
  });
  ctx.stacks.set(stackName, total);
  return out;
}

export const GRAPH_FUNCTIONS: FunctionDef[] = defineFunctions([
  {
    name: 'constantLine',
    group: 'Special',
    description: 'A horizontal line at value over the whole time range.',
    params: [{ name: 'value', type: 'float', required: true }],
    run: ({ ctx, args }) => constantLine(ctx, args.value as number),
  },
  {
    name: 'threshold',
    group: 'Graph',
    description: 'A horizontal line at value, named label, drawn in color.',
    params: [
      { name: 'value', type: 'float', required: true },
      { name: 'label', type: 'string' },
      { name: 'color', type: 'string' },
    ],
    run: ({ ctx, args }) => {
      const [line] = constantLine(ctx, args.value as number);
      if (args.label) line.name = args.label as string;
      if (args.color) line.options.color = args.color as string;
      return [line];
    },
  },
  {
    name: 'consolidateBy',
    group: 'Special',
    description: 'How points are merged when there are more than maxDataPoints (sum, average, min, max, first, last).',
    params: [seriesListParam, { name: 'consolidationFunc', type: 'string', required: true, options: [...CONSOLIDATION_FUNCS].sort() }],
    run: ({ args }) => {
      const func = args.consolidationFunc as ConsolidationFunc;
      const list = args.seriesList as Series[];
      for (const s of list) {
        s.consolidationFunc = func;
        s.setTag('consolidateBy', func);
        s.rename(`consolidateBy(${s.name},"${func}")`);
      }
      return list;
    },
  },
  {
    name: 'color',
    group: 'Graph',
    description: 'Draws the series in theColor (a name or RRGGBB); the data is unchanged.',
    params: [seriesListParam, { name: 'theColor', type: 'string', required: true }],
    run: (call) => setOption(call, 'color', call.args.theColor as string),
  },
  {
    name: 'lineWidth',
    group: 'Graph',
    description: 'Draws the series with a line width in pixels; the data is unchanged.',
    params: [seriesListParam, { name: 'width', type: 'float', required: true }],
    run: (call) => setOption(call, 'lineWidth', call.args.width as number),
  },
  {
    name: 'dashed',
    group: 'Graph',
    description: 'Draws the series dashed; the data is unchanged.',
    params: [seriesListParam, { name: 'dashLength', type: 'integer', default: 5 }],
    run: (call) => {
      const length = call.args.dashLength as number;
      for (const s of call.args.seriesList as Series[]) {
        s.setTag('dashed', length);
        s.name = `dashed(${s.name}, ${pyG(length)})`;
      }
      return setOption(call, 'dashed', length);
    },
  },
  {
    name: 'secondYAxis',
    group: 'Graph',
    description: 'Draws the series against a second Y axis; the data is unchanged.',
    params: [seriesListParam],
    run: (call) => {
      for (const s of call.args.seriesList as Series[]) {
        s.setTag('secondYAxis', 1);
        s.name = `secondYAxis(${s.name})`;
      }
      return setOption(call, 'secondYAxis', true);
    },
  },
  {
    name: 'stacked',
    group: 'Graph',
    description: 'Stacks the series: each point is the running total of the series before it at that point.',
    params: [seriesListParam, { name: 'stack', type: 'string' }],
    run: stacked,
  },
]);
