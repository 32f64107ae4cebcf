import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { Scheduler } from '../src/scheduling/scheduler.js';

describe('Scheduler', () => {
  it('polls at start, then at each interval boundary plus a fixed offset', async () => {
    const clock = new ManualClock();
    const runs: number[] = [];
    const scheduler = new Scheduler({
      intervalMs: 60_000,
      jitterMs: 10_000,
      random: () => 0.5,
      clock,
      logger: silentLogger(),
      run: async () => void runs.push(clock.nowMs()),
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
    const clock = new ManualClock();
    const runs: number[] = [];
    let slow = true;
    const scheduler = new Scheduler({
      intervalMs: 60_000,
      jitterMs: 0,
      clock,
      logger: silentLogger(),
      run: async () => {
        runs.push(clock.nowMs());
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
    const clock = new ManualClock();
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

  it('stop() gives up on a poll still running at the deadline, so a hung module cannot hold SIGTERM', async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler({
      intervalMs: 1000,
      jitterMs: 0,
      clock,
      logger: silentLogger(),
      run: () => new Promise<void>(() => {}),
    });
    await scheduler.start();
    await clock.advance(10);
    let stopped = false;
    const stopping = scheduler.stop(5000).then(() => {
      stopped = true;
    });
    await clock.advance(4999);
    assert.equal(stopped, false, 'it waits for the poll until the deadline');
    await clock.advance(1);
    await stopping;
    assert.equal(scheduler.stats().abandonedPolls, 1);
    assert.equal(clock.pending, 0, 'no tick left scheduled');
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
