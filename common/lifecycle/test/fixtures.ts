import type { Component, DeadlineInput, Stats } from '../index.js';
import { Lifecycle } from '../index.js';

export interface PartOptions {
  failStart?: boolean;
  /** stop() never resolves (a hung peer). */
  hangStop?: boolean;
}

/** A component that records what happens to it in a shared log. */
export class RecordingPart implements Component {
  private readonly lifecycle: Lifecycle;
  private readonly counters = { starts: 0, stops: 0 };
  private opened = false;

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly options: PartOptions = {},
  ) {
    this.lifecycle = new Lifecycle({
      start: () => {
        this.counters.starts++;
        if (this.options.failStart) throw new Error(`${name} cannot open its port`);
        this.opened = true;
        this.log.push(`start ${name}`);
      },
      stop: async () => {
        this.counters.stops++;
        if (!this.opened) return;
        this.opened = false;
        this.log.push(`stop ${name}`);
        if (this.options.hangStop) await new Promise(() => {});
      },
    });
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  stats(): Stats {
    return { ...this.counters };
  }
}
