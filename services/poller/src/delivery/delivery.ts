import type { Component, DeadlineInput } from '../../../../common/lifecycle/index.js';
import type { MessageSink } from './sinks.js';

/** What the spool reports for the self-metrics of each poll. */
export interface SpoolFigures {
  records: number;
  bytes: number;
  oldestAgeSeconds: number;
  confirmed: number;
  dropped: number;
}

/**
 * Where the messages of every poll go: the spool, forwarder and broker connection
 * (daemon and `--once`), or JSON lines (`--simulate`). Its components start first, in
 * order, and stop last, in reverse, so the modules and the scheduler (inputs) stop
 * before what they feed.
 */
export interface Delivery {
  readonly components: readonly Component[];
  readonly sink: MessageSink;
  spoolFigures?: () => SpoolFigures;
  /** Waits until everything spooled reached the broker or the deadline passed; true if drained. */
  drain(deadline: DeadlineInput): Promise<boolean>;
  /** The components' counters, prefixed by their names (`spool_records`, `forward_confirmed`, `bus_published`). */
  stats(): Record<string, number>;
}
