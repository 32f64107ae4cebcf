/**
 * The pool of stored values all requests in flight share: what bounds memory when many
 * large requests arrive at once. Requests that do not fit wait their turn, first come
 * first served, and are answered 503 after the wait limit; every reservation is given
 * back when the response is done.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadPool, StorageBusyError } from '../src/api/read-pool.js';
import { type Fixture, series, startFixture } from './api-fixtures.js';

describe('storage API: shared read pool', () => {
  it('serves reservations in order as capacity comes back', async () => {
    const pool = new ReadPool(100, 5_000);
    await pool.acquire(60);
    const order: string[] = [];
    const big = pool.acquire(80).then(() => order.push('big'));
    const small = pool.acquire(10).then(() => order.push('small'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [], 'the small one does not overtake the big one');
    assert.equal(pool.waiting, 2);
    pool.release(60);
    await Promise.all([big, small]);
    assert.deepEqual(order, ['big', 'small']);
    assert.equal(pool.inUse, 90);
    pool.release(80);
    pool.release(10);
    assert.equal(pool.inUse, 0);
  });

  it('answers 503 after the wait limit and lets the next ones through', async () => {
    const pool = new ReadPool(100, 30);
    await pool.acquire(100);
    await assert.rejects(pool.acquire(50), (e: unknown) => e instanceof StorageBusyError && e.status === 503);
    assert.equal(pool.waiting, 0);
    pool.release(100);
    await pool.acquire(100);
    assert.equal(pool.inUse, 100);
  });

  it('queues concurrent renders past max_read_points_in_flight and gives every reservation back', async () => {
    let fx: Fixture | undefined;
    try {
      fx = await startFixture({ settings: { maxReadPoints: 5000, maxReadPointsInFlight: 5000 } });
      await fx.addHost('web01');
      for (const plugin of ['a', 'b', 'c']) {
        await fx.addPlugin('web01', plugin, { v: 'v' });
        fx.writeSeries(
          'web01',
          plugin,
          'v',
          series(60, 86_400, () => 1),
        );
      }
      const client = fx;
      // Each render reads 3 × 1440 values: only one fits at a time.
      const answers = await Promise.all(Array.from({ length: 8 }, () => client.get('/render?target=*.*.*&from=-1d&maxDataPoints=10')));
      for (const res of answers) {
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as unknown[]).length, 3);
      }
      const again = await fx.get(`/data?host=web01&plugin=a&ds=v&res=Daily`);
      assert.equal(again.status, 200, 'nothing is left reserved');
    } finally {
      await fx?.close();
    }
  });
});
