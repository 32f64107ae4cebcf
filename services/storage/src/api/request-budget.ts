import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { LimitExceededError } from './errors.js';

/**
 * Work one request may do matching globs, counted across every pattern it compiles
 * (find, expand, every path of every render target). It travels with the request through
 * AsyncLocalStorage because the matchers are compiled deep in the Graphite tree walk,
 * where no request object is at hand. Outside a request (unit tests) nothing is counted.
 */
export const MAX_GLOB_STEPS = 10_000_000;

interface RequestWork {
  globSteps: number;
}

const current = new AsyncLocalStorage<RequestWork>();

export function requestBudgetMiddleware(): RequestHandler {
  return (_req, _res, next) => current.run({ globSteps: 0 }, next);
}

/** Counts `steps` matching steps; throws once the request has done more than MAX_GLOB_STEPS. */
export function chargeGlobWork(steps: number, parameter: string): void {
  const work = current.getStore();
  if (!work) return;
  work.globSteps += steps;
  if (work.globSteps > MAX_GLOB_STEPS) {
    throw new LimitExceededError(
      'glob_steps',
      `${parameter}: the patterns need more than ${MAX_GLOB_STEPS} matching steps over the index: use fewer wildcards or value-list alternatives, or fixed names in the first nodes`,
      parameter,
    );
  }
}
