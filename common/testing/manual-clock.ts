import type { Clock, TimerHandle } from '../lifecycle/index.js';

interface ManualTimer {
  at: number;
  callback: () => void;
  id: number;
}

/** A Clock the test moves by hand: nothing happens until `advance()`. Starts at epoch ms 1,000,000 unless given. */
export class ManualClock implements Clock {
  private time: number;
  private timers: ManualTimer[] = [];
  private nextId = 0;

  constructor(startMs = 1_000_000) {
    this.time = startMs;
  }

  nowMs = (): number => this.time;
  nowSeconds = (): number => this.time / 1000;

  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), callback, id });
    return id;
  };

  clearTimeout = (handle: TimerHandle): void => {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  };

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Sets the time: forward as advance() does; back as a clock stepped back by NTP would be
   * (the timers keep their due times). For code that must cope with time going backwards.
   */
  async setTo(ms: number): Promise<void> {
    if (ms >= this.time) return this.advance(ms - this.time);
    this.time = ms;
  }

  /** Moves time forward, firing due timers in order and letting the promises they settle run. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settlePromises();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.time = next.at;
      next.callback();
    }
    this.time = until;
    await settlePromises();
  }
}

/** Lets pending promise chains run (a few macrotask turns). */
export async function settlePromises(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
