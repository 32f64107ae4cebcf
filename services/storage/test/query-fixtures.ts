/**
 * An in-memory render context for the query engine's unit tests: series given by name
 * (the real engine reads them from whisper; here the fetch is the injected I/O).
 */
import type { RenderContext } from '../src/query/define.js';
import { evaluateTarget } from '../src/query/evaluator.js';
import { RenderBudget } from '../src/query/limits.js';
import { parseTarget } from '../src/query/parser.js';
import { Series, type Value } from '../src/query/series.js';

export interface StoredSeries {
  step: number;
  /** Value at time t (null: a gap). */
  at: (t: number) => Value;
}

/** A multiple of 3600, so every step divides it. */
export const FROM = 1_699_999_200;
export const UNTIL = FROM + 3600;

/** Whisper-like fetch: slots (from, until] aligned on the step, one value each. */
export function memoryContext(stored: Record<string, StoredSeries>, window = { from: FROM, until: UNTIL }): RenderContext {
  const ctx: RenderContext = {
    from: window.from,
    until: window.until,
    now: window.until,
    xFilesFactor: 0,
    budget: new RenderBudget({ maxSeries: 1000, maxPointsBuilt: 10_000_000, maxMillis: 60_000 }, () => performance.now()),
    stacks: new Map(),
    async fetch(pattern, from, until) {
      const re = new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^.]*')}$`);
      return Object.keys(stored)
        .filter((name) => re.test(name))
        .sort()
        .map((name) => {
          const { step, at } = stored[name];
          const start = from - (from % step) + step;
          const end = until - (until % step) + step;
          const values: Value[] = [];
          for (let t = start; t < end; t += step) values.push(at(t));
          ctx.budget.fetched(1, values.length);
          return new Series({ name, pathExpression: pattern, start, end, step, values });
        });
    },
  };
  return ctx;
}

export async function run(target: string, ctx: RenderContext): Promise<Series[]> {
  return evaluateTarget(parseTarget(target), ctx);
}
