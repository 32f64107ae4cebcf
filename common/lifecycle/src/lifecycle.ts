import { type Clock, systemClock } from './clock.js';
import { Deadline, type DeadlineInput, settleWithin } from './deadline.js';

export type LifecycleState = 'stopped' | 'starting' | 'started' | 'stopping';

export interface LifecycleHooks {
  /** Opens what the component needs. If it throws, `stop` runs to undo what it opened. */
  start(): Promise<void> | void;
  /** Releases everything by the deadline; must cope with a start that stopped half way. */
  stop(deadline: Deadline): Promise<void> | void;
}

export interface LifecycleOptions {
  /** The stop deadline when stop() is given none; also bounds the undo of a failed start. 10 s unless given. */
  defaultStopMs?: number;
  clock?: Clock;
}

/**
 * The start/stop rules every component shares, written once: the state machine, a start
 * that undoes itself when it fails, a second start or stop that awaits the first, a stop
 * during a start that waits for the start (up to its deadline) and then stops, and a
 * start after a stop that starts again (tests cycle components ten times in one process).
 */
export class Lifecycle {
  private current: LifecycleState = 'stopped';
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private readonly clock: Clock;
  private readonly defaultStopMs: number;

  constructor(
    private readonly hooks: LifecycleHooks,
    options: LifecycleOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.defaultStopMs = options.defaultStopMs ?? 10_000;
  }

  get state(): LifecycleState {
    return this.current;
  }

  get started(): boolean {
    return this.current === 'started';
  }

  start(): Promise<void> {
    if (this.current === 'started' && !this.stopping) return Promise.resolve();
    if (!this.starting) {
      const previousStop = this.stopping ?? Promise.resolve();
      this.starting = previousStop.then(() => this.runStart()).finally(() => (this.starting = undefined));
    }
    return this.starting;
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    if (!this.stopping) {
      if (this.current === 'stopped' && !this.starting) return Promise.resolve();
      const due = Deadline.of(deadline ?? this.defaultStopMs, this.clock);
      this.stopping = this.runStop(due).finally(() => (this.stopping = undefined));
    }
    return this.stopping;
  }

  private async runStart(): Promise<void> {
    if (this.current === 'started') return;
    this.current = 'starting';
    try {
      await this.hooks.start();
      this.current = 'started';
    } catch (error) {
      this.current = 'stopping';
      try {
        await this.hooks.stop(Deadline.after(this.defaultStopMs, this.clock));
      } catch {
        // The start's own error is the one to report; the undo did what it could.
      }
      this.current = 'stopped';
      throw error;
    }
  }

  private async runStop(deadline: Deadline): Promise<void> {
    if (this.starting) await settleWithin(this.starting, deadline);
    if (this.current !== 'started') return;
    this.current = 'stopping';
    try {
      await this.hooks.stop(deadline);
    } finally {
      this.current = 'stopped';
    }
  }
}
