import type { DeadlineInput } from './deadline.js';

/**
 * Counters and gauges of one component, flat: `name → number`. Counters only grow over
 * the life of the process (rates are the reader's job, as in Prometheus); gauges (sizes,
 * `connected`) say so in their documentation.
 */
export type Stats = Readonly<Record<string, number>>;

/**
 * Every long-lived part of a service. `start()` is idempotent and, when it fails, leaves
 * nothing running; `stop()` is idempotent, a second call awaits the first, and it resolves
 * by the deadline (a number is milliseconds from now) with timers, sockets and handles
 * released. The Lifecycle helper implements these rules once.
 */
export interface Component {
  readonly name: string;
  /** Resolves once started; it may resolve to what it opened (the HTTP server's address). */
  start(): Promise<unknown>;
  stop(deadline?: DeadlineInput): Promise<void>;
  stats(): Stats;
}

/** `{a: 1}` from component `x` becomes `{x_a: 1}`: how a group reports its parts' stats. */
export function prefixedStats(prefix: string, stats: Stats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).map(([key, value]) => [`${prefix}_${key}`, value]));
}
