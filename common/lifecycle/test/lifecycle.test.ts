import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../testing/manual-clock.js';
import { type Deadline, Lifecycle } from '../index.js';

/** A gate the test opens by hand, to hold a hook half way. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('Lifecycle', () => {
  it('a second concurrent stop awaits the first instead of returning at once', async () => {
    const closing = gate();
    let closed = false;
    const lifecycle = new Lifecycle({
      start: () => {},
      stop: async () => {
        await closing.wait;
        closed = true;
      },
    });
    await lifecycle.start();
    const first = lifecycle.stop(1000);
    let secondDone = false;
    const second = lifecycle.stop(1000).then(() => (secondDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(secondDone, false, 'the second stop must not resolve while the first is still closing');
    closing.open();
    await Promise.all([first, second]);
    assert.equal(closed, true);
    assert.equal(lifecycle.state, 'stopped');
  });

  it('a failed start runs stop to undo what it opened, rethrows, and can start again', async () => {
    const open = new Set<string>();
    let failNext = true;
    const lifecycle = new Lifecycle({
      start: () => {
        open.add('socket');
        if (failNext) throw new Error('broker refused');
        open.add('file');
      },
      stop: () => open.clear(),
    });
    await assert.rejects(lifecycle.start(), /broker refused/);
    assert.deepEqual([...open], [], 'what the failed start opened is closed again');
    assert.equal(lifecycle.state, 'stopped');
    failNext = false;
    await lifecycle.start();
    assert.deepEqual([...open].sort(), ['file', 'socket']);
    assert.equal(lifecycle.started, true);
  });

  it('a second start awaits the first; start is idempotent', async () => {
    const opening = gate();
    let starts = 0;
    const lifecycle = new Lifecycle({
      start: async () => {
        starts++;
        await opening.wait;
      },
      stop: () => {},
    });
    const first = lifecycle.start();
    const second = lifecycle.start();
    opening.open();
    await Promise.all([first, second]);
    await lifecycle.start();
    assert.equal(starts, 1);
  });

  it('a stop during a start waits for the start, then stops', async () => {
    const opening = gate();
    const events: string[] = [];
    const lifecycle = new Lifecycle({
      start: async () => {
        await opening.wait;
        events.push('started');
      },
      stop: () => void events.push('stopped'),
    });
    const starting = lifecycle.start();
    const stopping = lifecycle.stop(5000);
    opening.open();
    await Promise.all([starting, stopping]);
    assert.deepEqual(events, ['started', 'stopped']);
    assert.equal(lifecycle.state, 'stopped');
  });

  it('passes one deadline to the stop hook; a number is milliseconds from now on the injected clock', async () => {
    const clock = new ManualClock(5_000);
    let seen: Deadline | undefined;
    const lifecycle = new Lifecycle(
      {
        start: () => {},
        stop: (deadline) => {
          seen = deadline;
        },
      },
      { clock },
    );
    await lifecycle.start();
    await lifecycle.stop(2500);
    assert.equal(seen?.atMs, 7_500);
    assert.equal(seen?.remainingMs(), 2500);
  });

  it('stop before any start does nothing; ten cycles run the hooks ten times each', async () => {
    let starts = 0;
    let stops = 0;
    const lifecycle = new Lifecycle({ start: () => void starts++, stop: () => void stops++ });
    await lifecycle.stop();
    assert.equal(stops, 0);
    for (let i = 0; i < 10; i++) {
      await lifecycle.start();
      await lifecycle.stop();
    }
    assert.deepEqual([starts, stops], [10, 10]);
  });
});
