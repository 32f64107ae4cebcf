import type { Logger } from '../../../../common/logging/index.js';

/** Injected time, so tests drive the scheduler without waiting. Milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

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
 * (chosen once). Polls never overlap: a tick that falls while a poll is still running
 * is skipped and counted. `stop()` cancels the next tick and waits for the running poll.
 */
export class Scheduler {
  private readonly clock: Clock;
  private readonly offsetMs: number;
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private started = false;
  private readonly counters = { runs: 0, skippedTicks: 0, failures: 0 };

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

  start(): void {
    if (this.started) return;
    this.started = true;
    this.tick();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The next boundary + offset strictly after `now`. */
  nextRunAt(now: number): number {
    const { intervalMs } = this.options;
    let next = Math.floor((now - this.offsetMs) / intervalMs) * intervalMs + intervalMs + this.offsetMs;
    if (next <= now) next += intervalMs;
    return next;
  }

  private tick(): void {
    this.timer = null;
    if (!this.started) return;
    const began = this.clock.now();
    this.running = this.runSafely().finally(() => {
      this.running = null;
      if (!this.started) return;
      const now = this.clock.now();
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
