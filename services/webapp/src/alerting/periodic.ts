import type { Clock, TimerHandle } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';

/**
 * Runs `task` every `periodMs` on the injected clock, never two at once (the next run is
 * scheduled when one ends, so a slow database delays runs rather than piling them up).
 * A failing run is logged; the next one still comes. `stop()` resolves once no run is left.
 */
export class Periodic {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private active = false;
  failures = 0;

  constructor(
    private readonly what: string,
    private readonly task: () => Promise<unknown> | undefined,
    private readonly periodMs: number,
    private readonly deps: { clock: Clock; logger: Logger },
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.schedule();
  }

  /** Runs the task now (tests, and a start that wants a first run at once). */
  runNow(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.task();
      } catch (error) {
        this.failures++;
        this.deps.logger.warn({ reason: (error as Error).message }, `${this.what} failed`);
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.active = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runNow().then(() => {
        if (this.active) this.schedule();
      });
    }, this.periodMs);
  }
}
