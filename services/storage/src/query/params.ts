import { BadParameterError, quote } from '../api/errors.js';
import { AGG_FUNC_NAMES } from './aggfuncs.js';
import type { FunctionDef, ParamDef } from './define.js';
import { parseInterval } from './interval.js';
import type { Series } from './series.js';

/**
 * Arguments checked against a function's params the way graphite-web's validateParams()
 * does (positional ones first, then keywords, the last param may repeat), except that a
 * bad argument is always a 400 naming the function and the parameter (graphite-web only
 * logs it unless ENFORCE_INPUT_VALIDATION is set, then fails further down).
 */
export type RawArg = Series[] | { num: number; integer: boolean } | string | boolean | null;

export interface ValidatedArgs {
  values: Record<string, unknown>;
  integers: Set<string>;
}

export function validateArgs(
  def: FunctionDef,
  positional: RawArg[],
  keywords: Record<string, RawArg>,
  aggregators: ReadonlySet<string>,
): ValidatedArgs {
  const { params, name } = def;
  const values: Record<string, unknown> = Object.create(null);
  const integers = new Set<string>();
  const last = params[params.length - 1];
  if (positional.length + Object.keys(keywords).length > params.length && !last?.multiple) {
    throw bad(name, `too many arguments (it takes ${params.length})`);
  }
  positional.forEach((raw, i) => {
    const param = i < params.length ? params[i] : last;
    const value = checkValue(def, param, raw, aggregators);
    if (isInt(raw) && param.type !== 'float') integers.add(param.name);
    if (!param.multiple) values[param.name] = value;
    else if (Array.isArray(values[param.name])) (values[param.name] as unknown[]).push(value);
    else values[param.name] = [value];
  });
  for (const [key, raw] of Object.entries(keywords)) {
    const param = params.find((p) => p.name === key);
    if (!param || Object.hasOwn(values, key)) throw bad(name, `unexpected keyword argument ${quote(key)}`);
    if (raw === null) continue;
    values[key] = param.multiple ? [checkValue(def, param, raw, aggregators)] : checkValue(def, param, raw, aggregators);
    if (isInt(raw) && param.type !== 'float') integers.add(key);
  }
  for (const param of params) {
    if (Object.hasOwn(values, param.name) && values[param.name] !== null) continue;
    if (param.required) throw bad(name, `missing required parameter ${quote(param.name)}`);
    if (param.multiple) values[param.name] = [];
    else if (param.default !== undefined) {
      values[param.name] = param.default;
      // Python defaults are literals: `default=0` stays an int even for a float parameter.
      if (typeof param.default === 'number' && Number.isInteger(param.default)) integers.add(param.name);
    } else values[param.name] = null;
  }
  return { values, integers };
}

function isInt(raw: RawArg): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && raw.integer;
}

function checkValue(def: FunctionDef, param: ParamDef, raw: RawArg, aggregators: ReadonlySet<string>): unknown {
  if (raw === null) {
    if (param.required) throw bad(def.name, `parameter ${quote(param.name)} is required, got none`);
    return param.default ?? null;
  }
  const value = convert(param, raw, aggregators);
  if (value === undefined) {
    throw bad(def.name, `parameter ${quote(param.name)} must be ${describe(param)}, got ${describeRaw(raw)}`);
  }
  if (param.options && param.options.length > 0 && typeof value === 'string' && !param.options.includes(value)) {
    throw bad(def.name, `parameter ${quote(param.name)} must be one of ${param.options.join(', ')}, got ${quote(value)}`);
  }
  return value;
}

function convert(param: ParamDef, raw: RawArg, aggregators: ReadonlySet<string>): unknown {
  const num = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : null;
  switch (param.type) {
    case 'seriesList':
    case 'seriesLists':
      return Array.isArray(raw) ? raw : undefined;
    case 'float':
      return num ? num.num : undefined;
    case 'integer':
    case 'node':
      return num?.integer ? num.num : undefined;
    case 'intOrInf':
      return num && (num.integer || num.num === Number.POSITIVE_INFINITY) ? num.num : undefined;
    case 'nodeOrTag':
      return num?.integer ? num.num : typeof raw === 'string' ? raw : undefined;
    case 'boolean':
      return convertBoolean(raw, num);
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'interval':
      return typeof raw === 'string' && parseInterval(raw) !== null ? raw : undefined;
    case 'intOrInterval':
      if (num?.integer) return num.num;
      return typeof raw === 'string' && parseInterval(raw) !== null ? raw : undefined;
    case 'aggFunc':
      return typeof raw === 'string' && isAggFuncName(raw) ? raw : undefined;
    case 'aggOrSeriesFunc':
      return typeof raw === 'string' && (isAggFuncName(raw) || aggregators.has(raw)) ? raw : undefined;
    case 'any':
      return num ? num.num : raw;
  }
}

function convertBoolean(raw: RawArg, num: { num: number } | null): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (num && (num.num === 0 || num.num === 1)) return num.num === 1;
  return undefined;
}

export function isAggFuncName(name: string): boolean {
  return AGG_FUNC_NAMES.includes(name) || (name.endsWith('Series') && AGG_FUNC_NAMES.includes(name.slice(0, -6)));
}

function describe(param: ParamDef): string {
  switch (param.type) {
    case 'seriesList':
    case 'seriesLists':
      return 'a series list';
    case 'float':
      return 'a number';
    case 'integer':
    case 'node':
      return 'an integer';
    case 'intOrInf':
      return 'an integer or inf';
    case 'nodeOrTag':
      return 'a node number or a tag name';
    case 'boolean':
      return 'true or false';
    case 'interval':
      return 'an interval such as "5min" or "1h"';
    case 'intOrInterval':
      return 'a number of points or an interval such as "5min"';
    case 'aggFunc':
    case 'aggOrSeriesFunc':
      return `an aggregation function (${AGG_FUNC_NAMES.join(', ')})`;
    default:
      return 'a string';
  }
}

function describeRaw(raw: RawArg): string {
  if (Array.isArray(raw)) return 'a series list';
  if (typeof raw === 'object' && raw !== null) return String(raw.num);
  if (typeof raw === 'string') return quote(raw);
  return String(raw);
}

export function bad(fn: string, message: string): BadParameterError {
  return new BadParameterError('target', `${fn}: ${message}`);
}
