import {
  type Clock,
  type Component,
  type Deadline,
  type DeadlineInput,
  Lifecycle,
  settleWithin,
  systemClock,
} from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';

export interface SchedulerOptions {
  intervalMs: number;
  /** Upper bound of this process's offset inside each interval, so hosts do not all poll at :00. */
  jitterMs: number;
  run: () => Promise<void>;
  clock?: Clock;
  random?: () => number;
  logger: Logger;
}

/**
 * Runs a poll at start, then at every interval boundary plus a fixed random offset
 * (chosen once per process). Polls never overlap: a tick that falls while a poll is still
 * running is skipped and counted. `stop(deadline)` cancels the next tick and waits for the
 * running poll until the deadline; a poll still running then is left behind (its modules
 * are stopped next, which ends their calls) so a hung module cannot hold SIGTERM.
 */
export class Scheduler implements Component {
  readonly name = 'scheduler';
  private readonly lifecycle = new Lifecycle({ start: () => this.tick(), stop: (deadline) => this.cancel(deadline) });
  private readonly clock: Clock;
  private readonly offsetMs: number;
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private readonly counters = { runs: 0, skippedTicks: 0, failures: 0, abandonedPolls: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.offsetMs = Math.floor((options.random ?? Math.random)() * options.jitterMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  /** The next boundary + offset strictly after `nowMs`. */
  nextRunAt(nowMs: number): number {
    const { intervalMs } = this.options;
    let next = Math.floor((nowMs - this.offsetMs) / intervalMs) * intervalMs + intervalMs + this.offsetMs;
    if (next <= nowMs) next += intervalMs;
    return next;
  }

  private async cancel(deadline: Deadline): Promise<void> {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.running && !(await settleWithin(this.running, deadline))) {
      this.counters.abandonedPolls++;
      this.options.logger.warn({}, 'the running poll did not finish by the stop deadline; stopping without it');
    }
  }

  private tick(): void {
    this.timer = null;
    if (this.stopRequested()) return;
    const began = this.clock.nowMs();
    const poll = this.runSafely().finally(() => {
      if (this.running === poll) this.running = null;
      if (this.stopRequested()) return;
      const now = this.clock.nowMs();
      const skipped = Math.max(0, Math.floor((now - began) / this.options.intervalMs));
      if (skipped > 0) {
        this.counters.skippedTicks += skipped;
        this.options.logger.warn(
          { durationMs: now - began, intervalMs: this.options.intervalMs, skipped },
          'poll took longer than poller_time; ticks skipped',
        );
      }
      this.timer = this.clock.setTimeout(() => this.tick(), this.nextRunAt(now) - now);
    });
    this.running = poll;
  }

  private stopRequested(): boolean {
    return this.lifecycle.state === 'stopping' || this.lifecycle.state === 'stopped';
  }

  private async runSafely(): Promise<void> {
    this.counters.runs++;
    try {
      await this.options.run();
    } catch (error) {
      this.counters.failures++;
      this.options.logger.error({ reason: (error as Error).message }, 'poll failed');
    }
  }
}
