import type { RenderBudget } from './limits.js';
import type { CallExpr, Expr } from './parser.js';
import type { Series } from './series.js';

/**
 * The shape of a Graphite function definition: graphite-web's `func.group`, `func.params`
 * (what `/functions` serves and Grafana's editor reads) and the implementation. Arguments
 * are validated against `params` before `run` sees them (see params.ts).
 */
export type ParamType =
  | 'seriesList'
  | 'seriesLists'
  | 'float'
  | 'integer'
  | 'string'
  | 'boolean'
  | 'interval'
  | 'intOrInterval'
  | 'intOrInf'
  | 'node'
  | 'nodeOrTag'
  | 'aggFunc'
  | 'aggOrSeriesFunc'
  | 'any';

export interface ParamDef {
  name: string;
  type: ParamType;
  required?: boolean;
  default?: string | number | boolean;
  multiple?: boolean;
  options?: readonly string[];
  suggestions?: readonly (string | number)[];
}

export type Group = 'Alias' | 'Calculate' | 'Combine' | 'Filter Data' | 'Filter Series' | 'Graph' | 'Sorting' | 'Special' | 'Transform';

export interface RenderContext {
  from: number;
  until: number;
  now: number;
  /** The request's xFilesFactor parameter (graphite-web: DEFAULT_XFILES_FACTOR, 0). */
  xFilesFactor: number;
  budget: RenderBudget;
  /** Series of one path pattern over [from, until], sorted by name. */
  fetch(pattern: string, from: number, until: number): Promise<Series[]>;
  /** stacked()'s running totals, shared by the targets of one request. */
  stacks: Map<string, number[]>;
}

export interface Call {
  ctx: RenderContext;
  expr: CallExpr;
  /** Validated arguments by parameter name; a `multiple` parameter holds an array. */
  args: Record<string, unknown>;
  /** Whether argument `name` was written as an integer literal (Python int vs float in names). */
  isInteger(name: string): boolean;
  /** Evaluates an expression again in another context (movingWindow's preview, timeShift). */
  evaluate(expr: Expr, ctx: RenderContext): Promise<Series[]>;
}

export interface FunctionDef {
  name: string;
  group: Group;
  description: string;
  params: readonly ParamDef[];
  /** Usable as groupByNode's callback. */
  aggregator?: boolean;
  run(call: Call): Series[] | Promise<Series[]>;
}

export function defineFunctions(defs: FunctionDef[]): FunctionDef[] {
  return defs;
}

export const seriesListParam: ParamDef = { name: 'seriesList', type: 'seriesList', required: true };
export const seriesListsParam: ParamDef = { name: 'seriesLists', type: 'seriesList', required: true, multiple: true };
