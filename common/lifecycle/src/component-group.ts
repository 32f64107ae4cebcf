import type { Logger } from '../../logging/index.js';
import type { Clock } from './clock.js';
import { type Component, prefixedStats, type Stats } from './component.js';
import { type Deadline, type DeadlineInput, FORCE_CLOSE_MS, settleWithin } from './deadline.js';
import { ComponentStartError } from './errors.js';
import { Lifecycle } from './lifecycle.js';

export interface ComponentGroupOptions {
  logger?: Logger;
  clock?: Clock;
  /** The stop deadline when stop() is given none. 10 s unless given. */
  defaultStopMs?: number;
  /**
   * How long past the deadline a part's stop is still awaited: the part itself gets
   * FORCE_CLOSE_MS to force-close (a spool's files, a socket), this leaves it room to
   * finish. 2 × FORCE_CLOSE_MS unless given.
   */
  forceCloseMs?: number;
}

/**
 * Components started in order and stopped in reverse, so the inputs (listed last: the
 * scheduler, the consumers, the HTTP API) stop first and what they feed drains after them.
 * When one part fails to start, the parts already started are stopped again and start()
 * rejects with ComponentStartError naming the part. Stopping shares one deadline: a part
 * that does not stop in time is left behind (logged, in `abandoned`) and the others go on.
 */
export class ComponentGroup implements Component {
  private readonly lifecycle: Lifecycle;
  private running: Component[] = [];
  private lastAbandoned: string[] = [];

  constructor(
    readonly name: string,
    private readonly parts: readonly Component[],
    private readonly options: ComponentGroupOptions = {},
  ) {
    this.lifecycle = new Lifecycle(
      { start: () => this.startParts(), stop: (deadline) => this.stopParts(deadline) },
      { clock: options.clock, defaultStopMs: options.defaultStopMs },
    );
  }

  /** The parts whose stop did not finish by the deadline, at the last stop. */
  get abandoned(): readonly string[] {
    return this.lastAbandoned;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  stats(): Stats {
    return Object.assign({}, ...this.parts.map((part) => prefixedStats(part.name, part.stats())));
  }

  private async startParts(): Promise<void> {
    this.running = [];
    for (const part of this.parts) {
      try {
        await part.start();
      } catch (error) {
        throw error instanceof ComponentStartError ? error : new ComponentStartError(part.name, { cause: error });
      }
      this.running.push(part);
    }
  }

  private async stopParts(deadline: Deadline): Promise<void> {
    const abandoned: string[] = [];
    for (const part of this.running.reverse()) {
      const due = deadline.graced(this.options.forceCloseMs ?? 2 * FORCE_CLOSE_MS);
      const stopping = part.stop(deadline).catch((error: Error) => {
        this.options.logger?.warn({ component: part.name, reason: error.message }, 'component did not stop cleanly');
      });
      if (!(await settleWithin(stopping, due))) {
        abandoned.push(part.name);
        this.options.logger?.warn({ component: part.name }, 'component did not stop by the deadline; going on without it');
      }
    }
    this.running = [];
    this.lastAbandoned = abandoned;
  }
}
