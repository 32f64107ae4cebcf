import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { LimitExceededError } from './errors.js';
import type { ReadPool } from './read-pool.js';

/**
 * What one request uses of what all requests share: the glob matching steps it has done
 * (across every pattern it compiles: find, expand, every path of every render target) and
 * the stored values it holds in the shared ReadPool until its response is done. It
 * travels with the request through AsyncLocalStorage because matchers and reads happen
 * deep in the tree walk and the fetch layer, where no request object is at hand. Outside
 * a request (unit tests) nothing is counted.
 */
export const MAX_GLOB_STEPS = 10_000_000;

interface RequestWork {
  globSteps: number;
  pool: ReadPool | null;
  held: number;
}

const current = new AsyncLocalStorage<RequestWork>();

export function requestBudgetMiddleware(pool: ReadPool | null = null): RequestHandler {
  return (_req, res, next) => {
    const work: RequestWork = { globSteps: 0, pool, held: 0 };
    // 'close' comes once the response is sent or the client went away: either way its values are gone.
    res.once('close', () => {
      pool?.release(work.held);
      work.held = 0;
    });
    current.run(work, next);
  };
}

/** Reserves `points` stored values in the shared pool for the current request (waits its turn, or 503). */
export async function holdReadPoints(points: number): Promise<void> {
  const work = current.getStore();
  if (!work?.pool || points <= 0) return;
  await work.pool.acquire(points);
  work.held += points;
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
