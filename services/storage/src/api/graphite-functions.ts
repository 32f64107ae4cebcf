import { BadParameterError, quote } from './errors.js';
import type { Expr } from './graphite-target.js';

/**
 * The few Graphite functions that are cheap and that Grafana needs (it wraps every
 * query in `aliasSub(…, "(^.*$)", "\\1 <refId>")` and tests with `constantLine(100)`).
 * Any other function is a 400 that names it.
 */
export interface RenderSeries {
  name: string;
  /** The `host.plugin.ds` path the series came from (aliasByNode works on it). */
  path: string;
  start: number;
  step: number;
  values: (number | null)[];
}

export interface EvalContext {
  from: number;
  until: number;
  fetchPaths(pattern: string): Promise<RenderSeries[]>;
}

type Fn = (args: Expr[], ctx: EvalContext, name: string) => Promise<RenderSeries[]>;

const FUNCTIONS: Record<string, Fn> = {
  async alias(args, ctx, name) {
    const [series, alias] = [await seriesArg(args, 0, ctx, name), stringArg(args, 1, name)];
    return series.map((s) => ({ ...s, name: alias }));
  },
  async aliasSub(args, ctx, name) {
    const series = await seriesArg(args, 0, ctx, name);
    const search = safeRegex(stringArg(args, 1, name));
    const replacement = jsReplacement(stringArg(args, 2, name));
    return series.map((s) => ({ ...s, name: s.name.replace(search, replacement) }));
  },
  async aliasByNode(args, ctx, name) {
    const series = await seriesArg(args, 0, ctx, name);
    const nodes = args.slice(1).map((_, i) => numberArg(args, i + 1, name));
    if (nodes.length === 0) throw bad(`${name} needs at least one node index`);
    return series.map((s) => {
      const parts = s.path.split('.');
      return { ...s, name: nodes.map((n) => parts[n < 0 ? parts.length + n : n] ?? '').join('.') };
    });
  },
  async constantLine(args, ctx, name) {
    const value = numberArg(args, 0, name);
    const step = Math.max(1, Math.floor((ctx.until - ctx.from) / 2));
    return [{ name: String(value), path: String(value), start: ctx.from, step, values: [value, value, value] }];
  },
  async scale(args, ctx, name) {
    const [series, factor] = [await seriesArg(args, 0, ctx, name), numberArg(args, 1, name)];
    return series.map((s) => ({ ...s, name: `scale(${s.name},${factor})`, values: s.values.map((v) => (v === null ? null : v * factor)) }));
  },
  async offset(args, ctx, name) {
    const [series, amount] = [await seriesArg(args, 0, ctx, name), numberArg(args, 1, name)];
    return series.map((s) => ({
      ...s,
      name: `offset(${s.name},${amount})`,
      values: s.values.map((v) => (v === null ? null : v + amount)),
    }));
  },
};

export const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS).sort();

export async function evaluate(expr: Expr, ctx: EvalContext): Promise<RenderSeries[]> {
  if (expr.type === 'path') return ctx.fetchPaths(expr.text);
  if (expr.type === 'call') {
    const fn = Object.hasOwn(FUNCTIONS, expr.name) ? FUNCTIONS[expr.name] : undefined;
    if (!fn) throw bad(`unsupported function ${quote(expr.name)} (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`);
    return fn(expr.args, ctx, expr.name);
  }
  throw bad('a target must be a series path or a function call, not a bare string or number');
}

async function seriesArg(args: Expr[], i: number, ctx: EvalContext, fn: string): Promise<RenderSeries[]> {
  const arg = args[i];
  if (!arg || arg.type === 'string' || arg.type === 'number') throw bad(`${fn}: argument ${i + 1} must be a series list`);
  return evaluate(arg, ctx);
}

function stringArg(args: Expr[], i: number, fn: string): string {
  const arg = args[i];
  if (arg?.type !== 'string') throw bad(`${fn}: argument ${i + 1} must be a quoted string`);
  return arg.value;
}

function numberArg(args: Expr[], i: number, fn: string): number {
  const arg = args[i];
  if (arg?.type !== 'number' || !Number.isFinite(arg.value)) throw bad(`${fn}: argument ${i + 1} must be a finite number`);
  return arg.value;
}

function bad(message: string): BadParameterError {
  return new BadParameterError('target', message);
}

const MAX_REGEX_LENGTH = 200;

/**
 * A user regex that cannot backtrack exponentially: no back-references, and no group
 * that holds a quantifier or an alternation and is itself repeated (`(a+)+`, `(a|aa)*`).
 * Python's `(?P<name>…)` is accepted as JavaScript's `(?<name>…)`.
 */
export function safeRegex(source: string): RegExp {
  if (source.length > MAX_REGEX_LENGTH) throw bad(`aliasSub: the regex is longer than ${MAX_REGEX_LENGTH} characters`);
  const js = source.replace(/\(\?P</g, '(?<');
  const groups: boolean[] = [false];
  for (let i = 0; i < js.length; i++) {
    const c = js[i];
    if (c === '\\') {
      if (/[1-9k]/.test(js[i + 1] ?? '')) throw bad('aliasSub: back-references are not allowed in the regex');
      i++;
    } else if (c === '[') {
      for (i++; i < js.length && js[i] !== ']'; i++) if (js[i] === '\\') i++;
    } else if (c === '(') groups.push(false);
    else if (c === ')') {
      const risky = groups.pop() ?? false;
      if (groups.length === 0) throw bad('aliasSub: unbalanced ")" in the regex');
      if (risky && /[*+{]/.test(js[i + 1] ?? ''))
        throw bad('aliasSub: a repeated group holds a quantifier or "|" (could take exponential time)');
      if (risky) groups[groups.length - 1] = true;
    } else if (c === '*' || c === '+' || c === '{' || c === '|') groups[groups.length - 1] = true;
  }
  try {
    return new RegExp(js, 'g');
  } catch (error) {
    throw new BadParameterError('target', `aliasSub: invalid regex ${quote(source)}`, { cause: error });
  }
}

/** Python replacement (`\1`, `\g<1>`, `\g<name>`) → JavaScript (`$1`, `$<name>`), other `$` literal. */
export function jsReplacement(python: string): string {
  return python
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<([A-Za-z_]\w*)>/g, '$$<$1>')
    .replace(/\\(\d)/g, '$$$1');
}
