import { compileGlob, type Glob, GlobError } from '../../../../common/graphite-glob/index.js';
import { BadParameterError } from './errors.js';
import { chargeGlobWork } from './request-budget.js';

/** One path node's matcher (common/graphite-glob). */
export type NodeMatcher = Glob;

/**
 * A path node of a request's `query` or `target`: a glob whose matching work is charged to
 * the request's budget (request-budget.ts), and a bad pattern is a 400 naming the parameter.
 */
export function compileNode(pattern: string, parameter: string): NodeMatcher {
  try {
    return compileGlob(pattern, { charge: (steps) => chargeGlobWork(steps, parameter) });
  } catch (error) {
    if (!(error instanceof GlobError)) throw error;
    const node = JSON.stringify(pattern.slice(0, 80));
    throw new BadParameterError(parameter, `${parameter}: path node ${node}: ${error.problem}`, { cause: error });
  }
}
