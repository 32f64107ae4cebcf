import { AGG_FUNC_NAMES } from './aggfuncs.js';
import type { FunctionDef, ParamDef } from './define.js';
import { ALIAS_FUNCTIONS } from './functions/alias.js';
import { CALCULATE_FUNCTIONS } from './functions/calculate.js';
import { AGGREGATOR_DEFS, AGGREGATOR_NAMES, COMBINE_FUNCTIONS } from './functions/combine.js';
import { RATIO_FUNCTIONS } from './functions/combine-ratio.js';
import { FILTER_FUNCTIONS } from './functions/filter.js';
import { GRAPH_FUNCTIONS } from './functions/graph.js';
import { MOVING_FUNCTIONS } from './functions/moving.js';
import { TRANSFORM_FUNCTIONS } from './functions/transform.js';

/**
 * Every supported Graphite function by name (graphite-web's short aliases included), and
 * the `/functions` document built from the same definitions, so the editor in Grafana,
 * the docs table and the evaluator cannot disagree.
 */
const ALL: FunctionDef[] = [
  ...COMBINE_FUNCTIONS,
  ...RATIO_FUNCTIONS,
  ...TRANSFORM_FUNCTIONS,
  ...CALCULATE_FUNCTIONS,
  ...MOVING_FUNCTIONS,
  ...FILTER_FUNCTIONS,
  ...ALIAS_FUNCTIONS,
  ...GRAPH_FUNCTIONS,
];

/** graphite-web's short names. */
const ALIASES: Record<string, string> = { avg: 'averageSeries', sum: 'sumSeries', pct: 'asPercent', log: 'logarithm' };

const BY_NAME = new Map<string, FunctionDef>();
for (const def of ALL) BY_NAME.set(def.name, def);
for (const [alias, target] of Object.entries(ALIASES)) BY_NAME.set(alias, { ...(BY_NAME.get(target) as FunctionDef), name: alias });

for (const [name, def] of BY_NAME) {
  if (!def.aggregator) continue;
  AGGREGATOR_DEFS.set(name, def);
  AGGREGATOR_NAMES.add(name);
}
export const AGGREGATORS: ReadonlySet<string> = AGGREGATOR_NAMES;

export function findFunction(name: string): FunctionDef | undefined {
  return BY_NAME.get(name);
}

export function functionNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

export interface FunctionInfo {
  name: string;
  function: string;
  description: string;
  module: string;
  group: string;
  params: Array<Record<string, unknown>>;
}

/** graphite-web's functionInfo(): `function` is the Python signature, params as Param.toJSON(). */
export function functionInfo(name: string): FunctionInfo | undefined {
  const def = BY_NAME.get(name);
  if (!def) return undefined;
  return {
    name,
    function: `${name}(${def.params.map(signaturePart).join(', ')})`,
    description: def.description,
    module: 'graphite.render.functions',
    group: def.group,
    params: def.params.map(paramJson),
  };
}

function signaturePart(p: ParamDef): string {
  if (p.multiple) return `*${p.name}`;
  if (p.required) return p.name;
  return `${p.name}=${pyLiteral(p.default)}`;
}

function pyLiteral(value: ParamDef['default']): string {
  if (value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return value === Number.POSITIVE_INFINITY ? 'inf' : String(value);
  return `'${value}'`;
}

function paramJson(p: ParamDef): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, type: p.type === 'seriesLists' ? 'seriesList' : p.type };
  if (p.required) out.required = true;
  if (p.default !== undefined) out.default = p.default;
  if (p.multiple) out.multiple = true;
  const options = [...(p.options ?? []), ...typeOptions(p)].sort();
  if (options.length > 0) out.options = [...new Set(options)];
  if (p.suggestions && p.suggestions.length > 0) out.suggestions = [...p.suggestions];
  return out;
}

/** graphite-web adds the aggregation names (and, for callbacks, the aggregating functions) as options. */
function typeOptions(p: ParamDef): string[] {
  if (p.type === 'aggFunc') return AGG_FUNC_NAMES;
  if (p.type === 'aggOrSeriesFunc') return [...AGG_FUNC_NAMES, ...AGGREGATOR_NAMES];
  return [];
}

/** `GET /functions` (optionally one group, or grouped by group). */
export function functionList(options: { group?: string; grouped?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of functionNames()) {
    const info = functionInfo(name) as FunctionInfo;
    if (options.group !== undefined && options.group !== info.group) continue;
    if (!options.grouped) {
      out[name] = info;
      continue;
    }
    const group = (out[info.group] ?? {}) as Record<string, FunctionInfo>;
    group[name] = info;
    out[info.group] = group;
  }
  return out;
}

/** JSON with infinity written as graphite-web writes it (1e9999, which JSON.parse reads back as Infinity). */
export function infinityJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (v === Number.POSITIVE_INFINITY ? '__INF__' : v)).replace(/"__INF__"/g, '1e9999');
}
