/**
 * The poller's modules as one component: each module's stop is handed what is left of the
 * poller's stop deadline, and one module that hangs past it does not keep the others open.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deadline } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { ModuleSet } from '../src/modules/module-set.js';
import type { PollerModule } from '../src/modules/types.js';

function module(name: string, stop: (deadline: Deadline) => Promise<void>): PollerModule {
  return { name, collect: async () => ({ samples: [] }), start: async () => {}, stop };
}

describe('module set', () => {
  it('hands every module the stop deadline, so a listener can give its connections what is left', async () => {
    const received: Array<{ name: string; remainingMs: number }> = [];
    const recording = (name: string) =>
      module(name, async (deadline) => {
        received.push({ name, remainingMs: deadline.remainingMs() });
      });
    const set = new ModuleSet([recording('carbon'), recording('statsd')], silentLogger());
    await set.start();
    await set.stop(800);
    assert.deepEqual(
      received.map((r) => r.name),
      ['carbon', 'statsd'],
    );
    for (const { name, remainingMs } of received)
      assert.ok(remainingMs > 0 && remainingMs <= 800, `${name} got ${remainingMs} ms of an 800 ms deadline`);
  });

  it('leaves a module whose stop never ends behind at the deadline and still stops the others', async () => {
    let stoppedOther = false;
    const hung = module('hung', () => new Promise<void>(() => {}));
    const other = module('other', async () => {
      stoppedOther = true;
    });
    const set = new ModuleSet([hung, other], silentLogger());
    await set.start();
    await set.stop(100);
    assert.equal(stoppedOther, true);
  });
});
