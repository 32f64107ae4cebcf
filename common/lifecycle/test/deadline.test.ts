import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../testing/manual-clock.js';
import { Deadline, settleWithin, waitUntil } from '../index.js';

describe('Deadline', () => {
  it('counts down on its clock and never goes below zero', async () => {
    const clock = new ManualClock(0);
    const deadline = Deadline.after(1000, clock);
    assert.equal(deadline.remainingMs(), 1000);
    await clock.advance(400);
    assert.equal(deadline.remainingMs(), 600);
    assert.equal(deadline.capped(100).remainingMs(), 100, 'a capped step gets the smaller share');
    assert.equal(deadline.capped(5000).remainingMs(), 600, 'a cap never extends the deadline');
    await clock.advance(1000);
    assert.equal(deadline.remainingMs(), 0);
    assert.equal(deadline.expired, true);
    assert.equal(deadline.extendedTo(250).remainingMs(), 250, 'a step past the deadline still gets time to force-close');
    assert.equal(deadline.graced(300).remainingMs(), 300, 'waiting on a step past its deadline: from now');
    assert.equal(Deadline.after(1000, clock).graced(300).remainingMs(), 1300, 'waiting on a step: its deadline plus the grace');
  });

  it('settleWithin: true when the work settles in time (even by rejecting), false at the deadline, no timer left', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(await settleWithin(Promise.resolve(), 1000), true);
    assert.equal(await settleWithin(Promise.reject(new Error('closed badly')), 1000), true);
    assert.equal(await settleWithin(new Promise(() => {}), 20), false);
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(after, before);
  });

  it('settleWithin on a manual clock expires only when the clock passes the deadline', async () => {
    const clock = new ManualClock(0);
    let result: boolean | undefined;
    void settleWithin(new Promise(() => {}), Deadline.after(500, clock)).then((r) => (result = r));
    await clock.advance(499);
    assert.equal(result, undefined);
    await clock.advance(1);
    assert.equal(result, false);
    assert.equal(clock.pending, 0);
  });

  it('waitUntil: true as soon as the condition holds, false once the deadline passed', async () => {
    const clock = new ManualClock(0);
    let ready = false;
    let result: boolean | undefined;
    void waitUntil(() => ready, Deadline.after(1000, clock), { intervalMs: 100 }).then((r) => (result = r));
    await clock.advance(300);
    assert.equal(result, undefined);
    ready = true;
    await clock.advance(100);
    assert.equal(result, true);
    assert.equal(await waitUntil(() => false, Deadline.after(0, clock)), false);
  });
});
