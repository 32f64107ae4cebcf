import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleWithin } from '../index.js';

describe('settleWithin (bounded closing steps)', () => {
  it('returns true when the work settles in time, resolved or rejected', async () => {
    assert.equal(await settleWithin(Promise.resolve(1), 1000), true);
    assert.equal(await settleWithin(Promise.reject(new Error('closed')), 1000), true);
  });

  it('returns false when the work never settles, and leaves no timer behind', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const started = Date.now();
    assert.equal(await settleWithin(new Promise(() => {}), 50), false);
    assert.ok(Date.now() - started < 1000);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, timersBefore);
  });
});
