import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { type Clock, Scheduler } from '../src/core/scheduler.js';

/** A clock the test moves by hand. */
class FakeClock implements Clock {
  time = 1_000_000;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private nextId = 0;
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  get pending(): number {
    return this.timers.length;
  }
  /** Moves time forward, firing due timers in order and letting their promises settle. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.time = next.at;
      next.callback();
    }
    this.time = until;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('Scheduler', () => {
  it('polls at start, then at each interval boundary plus a fixed offset', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    const scheduler = new Scheduler({
      intervalMs: 60_000,
      jitterMs: 10_000,
      random: () => 0.5,
      clock,
      logger: silentLogger(),
      run: async () => void runs.push(clock.now()),
    });
    assert.equal(scheduler.offset, 5000);
    scheduler.start();
    scheduler.start(); // idempotent
    await clock.advance(200_000);
    assert.deepEqual(runs, [1_000_000, 1_025_000, 1_085_000, 1_145_000]);
    await scheduler.stop();
    await clock.advance(120_000);
    assert.equal(runs.length, 4, 'no poll after stop');
    assert.equal(clock.pending, 0);
  });

  it('never overlaps polls: a slow poll skips ticks and the next one is on the grid', async () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    let slow = true;
    const scheduler = new Scheduler({
      intervalMs: 60_000,
      jitterMs: 0,
      clock,
      logger: silentLogger(),
      run: async () => {
        runs.push(clock.now());
        if (slow) {
          slow = false;
          await new Promise<void>((resolve) => clock.setTimeout(resolve, 130_000));
        }
      },
    });
    scheduler.start();
    await clock.advance(300_000);
    assert.deepEqual(runs, [1_000_000, 1_140_000, 1_200_000, 1_260_000]);
    assert.equal(scheduler.stats().skippedTicks, 2);
    await scheduler.stop();
  });

  it('stop() waits for the running poll and a failing poll does not stop the schedule', async () => {
    const clock = new FakeClock();
    let finished = false;
    let calls = 0;
    const scheduler = new Scheduler({
      intervalMs: 1000,
      jitterMs: 0,
      clock,
      logger: silentLogger(),
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 500));
        finished = true;
      },
    });
    scheduler.start();
    await clock.advance(1100);
    assert.equal(calls, 2);
    const stopped = scheduler.stop();
    assert.equal(finished, false);
    await clock.advance(500);
    await stopped;
    assert.equal(finished, true);
    assert.equal(scheduler.stats().failures, 1);
  });

  it('computes the next run strictly after now', () => {
    const scheduler = new Scheduler({
      intervalMs: 60_000,
      jitterMs: 10_000,
      random: () => 0.1,
      logger: silentLogger(),
      run: async () => {},
    });
    assert.equal(scheduler.nextRunAt(0), 1000);
    assert.equal(scheduler.nextRunAt(1000), 61_000);
    assert.equal(scheduler.nextRunAt(60_999), 61_000);
  });
});
