import { quote } from '../api/errors.js';
import type { Call, RenderContext } from './define.js';
import { bad, type RawArg, validateArgs } from './params.js';
import type { CallExpr, Expr } from './parser.js';
import { AGGREGATORS, findFunction } from './registry.js';
import type { Series } from './series.js';

/**
 * Evaluates a parsed target over series, as graphite-web's evaluateTokens() does: paths
 * are fetched, calls evaluate their arguments first, then run with validated arguments.
 */
export async function evaluateTarget(expr: Expr, ctx: RenderContext): Promise<Series[]> {
  const result = await evaluate(expr, ctx);
  if (!Array.isArray(result)) throw bad('target', 'a target must evaluate to a series list');
  return result;
}

async function evaluate(expr: Expr, ctx: RenderContext): Promise<RawArg> {
  switch (expr.type) {
    case 'path':
      return ctx.fetch(expr.text, ctx.from, ctx.until);
    case 'call':
      return evaluateCall(expr, ctx);
    case 'number':
      return { num: expr.value, integer: expr.integer };
    case 'string':
      return expr.value;
    case 'boolean':
      return expr.value;
    case 'none':
      return null;
  }
}

async function evaluateCall(expr: CallExpr, ctx: RenderContext): Promise<Series[]> {
  const def = findFunction(expr.name);
  if (!def) throw bad(expr.name, `unknown function ${quote(expr.name)} (GET /functions lists the supported ones)`);
  ctx.budget.checkTime();
  const positional: RawArg[] = [];
  for (const arg of expr.args) positional.push(await evaluate(arg, ctx));
  const keywords: Record<string, RawArg> = Object.create(null);
  for (const [name, arg] of Object.entries(expr.kwargs)) keywords[name] = await evaluate(arg, ctx);
  const { values, integers } = validateArgs(def, positional, keywords, AGGREGATORS);
  const call: Call = {
    ctx,
    expr,
    args: values,
    isInteger: (name) => integers.has(name),
    evaluate: evaluateTarget,
  };
  const result = await def.run(call);
  let points = 0;
  for (const s of result) points += s.data.length;
  ctx.budget.built(points);
  return result;
}
