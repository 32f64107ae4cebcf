import { AGG_FUNC_NAMES, type AggFunc, aggFunc, safeLast, safeMax, safeMin } from '../aggfuncs.js';
import { type Call, defineFunctions, type FunctionDef, seriesListParam } from '../define.js';
import { aggKey } from '../normalize.js';
import { bad } from '../params.js';
import { pyFixed, pyFloat } from '../pyformat.js';
import { compileUserRegex } from '../regex.js';
import { isNone, type Series } from '../series.js';

/** The "Alias" group and cactiStyle: series renamed, data unchanged. */
function list(call: Call): Series[] {
  return call.args.seriesList as Series[];
}

/** substr(): the nodes start..stop of the innermost name (`fn(a.b.c, x)` → `a.b.c`). */
function substr(series: Series, start: number, stop: number): string {
  const left = series.name.lastIndexOf('(') + 1;
  let right = series.name.indexOf(')');
  if (right < 0) right = series.name.length + 1;
  const parts = series.name.slice(left, Math.max(left, right)).split('.');
  const from = start < 0 ? Math.max(0, parts.length + start) : start;
  const to = stop === 0 ? parts.length : stop < 0 ? parts.length + stop : stop;
  return parts.slice(from, to).join('.').replace(/,.*$/s, '');
}

/** Python `"%-Ns" % text` / `"%Ns"`: padded to N characters. */
function pad(text: string, width: number): string {
  return width < 0 ? text.padEnd(-width) : text.padStart(width);
}

function cactiStyle(call: Call): Series[] {
  const series = list(call);
  if (series.length === 0) return series;
  const units = call.args.units as string | null;
  if (call.args.system) throw bad('cactiStyle', 'the si and binary unit systems are not supported');
  const fmt = (x: number) => (units ? `${pyFixed(x, 2)} ${units}` : pyFixed(x, 2));
  const widthOf = (f: AggFunc) => Math.max(0, ...series.map((s) => fmt(Math.trunc(f(s.points()) || 3)).length)) + 3;
  const nameLen = Math.max(0, ...series.map((s) => s.name.length));
  const lastLen = widthOf(safeLast);
  const maxLen = widthOf(safeMax);
  const minLen = widthOf(safeMin);
  const show = (v: number) => (isNone(v) ? 'nan' : fmt(v));
  for (const s of series) {
    const points = s.points();
    s.name =
      `${pad(s.name, -nameLen)} Current:${pad(show(safeLast(points)), -lastLen)} ` +
      `Max:${pad(show(safeMax(points)), -maxLen)} Min:${pad(show(safeMin(points)), -minLen)} `;
  }
  return series;
}

function legendValue(call: Call): Series[] {
  const types = [...(call.args.valuesTypes as string[])];
  const last = types[types.length - 1];
  if (last === 'si' || last === 'binary') throw bad('legendValue', 'the si and binary unit systems are not supported');
  for (const type of types) {
    const f = aggFunc(type.endsWith('Series') ? type.slice(0, -6) : type) as AggFunc;
    for (const s of list(call)) {
      const value = f(s.points());
      // count is a Python int, the other functions give floats.
      const text = isNone(value) ? 'None' : type.startsWith('count') ? String(value) : pyFloat(value);
      s.name += ` (${type}: ${text})`;
    }
  }
  return list(call);
}

export const ALIAS_FUNCTIONS: FunctionDef[] = defineFunctions([
  {
    name: 'alias',
    group: 'Alias',
    description: 'Names every series newName.',
    params: [seriesListParam, { name: 'newName', type: 'string', required: true }],
    run: (call) => {
      for (const s of list(call)) s.name = call.args.newName as string;
      return list(call);
    },
  },
  {
    name: 'aliasSub',
    group: 'Alias',
    description: 'Renames with a regex substitution (Python replacement syntax: \\1, \\g<name>); RE2 syntax, linear time.',
    params: [seriesListParam, { name: 'search', type: 'string', required: true }, { name: 'replace', type: 'string', required: true }],
    run: (call) => {
      const re = compileUserRegex('aliasSub', call.args.search as string, call.args.replace as string);
      for (const s of list(call)) s.name = re.sub(s.name);
      return list(call);
    },
  },
  {
    name: 'aliasByNode',
    group: 'Alias',
    description: 'Names each series by some nodes of its path (0 is the first, -1 the last), joined by ".".',
    params: [seriesListParam, { name: 'nodes', type: 'nodeOrTag', required: true, multiple: true }],
    run: (call) => {
      for (const s of list(call)) s.name = aggKey(s, call.args.nodes as (number | string)[]);
      return list(call);
    },
  },
  {
    name: 'aliasByMetric',
    group: 'Alias',
    description: 'Names each series by the last node of its path.',
    params: [seriesListParam],
    run: (call) => {
      for (const s of list(call)) s.name = substr(s, -1, 0);
      return list(call);
    },
  },
  {
    name: 'legendValue',
    group: 'Alias',
    description: 'Appends values of the series (avg, max, min, last, …) to its name.',
    params: [
      seriesListParam,
      {
        name: 'valuesTypes',
        type: 'string',
        multiple: true,
        options: [...AGG_FUNC_NAMES, ...AGG_FUNC_NAMES.map((f) => `${f}Series`), 'si', 'binary'],
      },
    ],
    run: legendValue,
  },
  {
    name: 'cactiStyle',
    group: 'Special',
    description: 'Appends the current, max and min values to each name, aligned in columns.',
    params: [seriesListParam, { name: 'system', type: 'string', options: ['si', 'binary'] }, { name: 'units', type: 'string' }],
    run: cactiStyle,
  },
]);
