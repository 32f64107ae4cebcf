import type { SpoolFigures } from './poll.js';
import type { MessageSink } from './sinks.js';

/**
 * Where the messages of every poll go, with its own lifecycle: the spool, forwarder and
 * broker connection (daemon/once), or standard output (`--simulate`).
 */
export interface Pipeline {
  readonly sink: MessageSink;
  spoolFigures?: () => SpoolFigures;
  start(): Promise<void>;
  /** Waits until everything spooled reached the broker or the deadline passed; true if drained. */
  drain(deadlineMs: number): Promise<boolean>;
  /** Stops the forwarder and the connection within the deadline, then closes the spool. */
  stop(deadlineMs: number): Promise<void>;
  stats(): Record<string, number>;
}
