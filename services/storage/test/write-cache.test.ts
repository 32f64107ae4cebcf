import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../../../common/testing/eventually.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { type PendingSeries, type PointBatch, type SeriesRef, WriteCache } from '../src/cache/write-cache.js';

const host = { hostId: 'h', hash: 'ab', dir: '/wsp/ab/h' };
const refs = new Map<string, SeriesRef>();
const ref = (ds: string): SeriesRef => {
  if (!refs.has(ds)) refs.set(ds, { file: `/wsp/ab/h/p/${ds}.wsp`, host, plugin: 'p', ds });
  return refs.get(ds) as SeriesRef;
};
interface TestPoint {
  ds: string;
  timestamp: number;
  value: number;
}
const point = (ds: string, timestamp: number, value = 1): TestPoint => ({ ds, timestamp, value });
const pointsOf = (s: PendingSeries) => s.timestamps.map((t, i) => [t, s.values[i]]);
const batch = (points: TestPoint[]): PointBatch => ({
  series: points.map((p) => ref(p.ds)),
  timestamps: points.map((p) => p.timestamp),
  values: points.map((p) => p.value),
});

test('points of one series from many messages reach one write', async () => {
  const writes: PendingSeries[][] = [];
  const cache = new WriteCache({
    maxPoints: 1000,
    flushPoints: 1000,
    flushIntervalMs: 20,
    flush: async (series) => {
      writes.push(series);
      return new Map();
    },
  });
  await Promise.all([
    cache.add(batch([point('a', 60)])),
    cache.add(batch([point('a', 120), point('b', 120)])),
    cache.add(batch([point('a', 0)])),
  ]);
  assert.equal(writes.length, 1);
  assert.deepEqual(
    writes[0].map((s) => [s.ds, pointsOf(s)]),
    [
      [
        'a',
        [
          [60, 1],
          [120, 1],
          [0, 1],
        ],
      ],
      ['b', [[120, 1]]],
    ],
  );
  await cache.stop();
});

test('pending points are written once the oldest has waited flushIntervalMs on the clock, not before', async () => {
  const clock = new ManualClock();
  let flushes = 0;
  const cache = new WriteCache({
    maxPoints: 1000,
    flushPoints: 1000,
    flushIntervalMs: 200,
    clock,
    flush: async () => {
      flushes++;
      return new Map();
    },
  });
  let written = false;
  const first = cache.add(batch([point('a', 60)])).then(() => {
    written = true;
  });
  await clock.advance(150);
  void cache.add(batch([point('a', 120)])); // a later point does not move the flush
  await clock.advance(49);
  assert.equal(flushes, 0, 'not before the interval');
  assert.equal(written, false);
  await clock.advance(1);
  await first;
  assert.equal(flushes, 1, 'one write for both messages');
  await cache.stop();
  assert.equal(clock.pending, 0);
});

test('a failed series fails only the messages that had points in it', async () => {
  const cache = new WriteCache({
    maxPoints: 100,
    flushPoints: 100,
    flushIntervalMs: 5,
    flush: async () => new Map([['/wsp/ab/h/p/bad.wsp', new Error('disk on fire')]]),
  });
  const results = await Promise.allSettled([
    cache.add(batch([point('good', 60)])),
    cache.add(batch([point('good', 120), point('bad', 120)])),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.match(String((results[1] as PromiseRejectedResult).reason), /disk on fire/);
  await cache.stop();
});

test('memory is bounded: when max_points are held, add() waits (backpressure) and nothing is dropped', async () => {
  let release!: () => void;
  let gate = new Promise<void>((r) => {
    release = r;
  });
  let written = 0;
  let maxHeld = 0;
  let flushesWaiting = 0;
  const cache = new WriteCache({
    maxPoints: 10,
    flushPoints: 5,
    flushIntervalMs: 1,
    flush: async (series) => {
      flushesWaiting++;
      await gate; // a slow disk
      for (const s of series) written += s.timestamps.length;
      return new Map();
    },
  });
  const adds: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    adds.push(cache.add(batch([point(`ds${i % 7}`, i * 60), point(`ds${(i + 1) % 7}`, i * 60)])));
    maxHeld = Math.max(maxHeld, cache.size());
  }
  for (let round = 0; round < 50 && written < 80; round++) {
    // The disk is slow: wait until a flush is stuck on it, with producers held back (or all is written).
    await eventually(() => flushesWaiting > 0 || written >= 80, 5000, 'a flush waiting on the disk');
    flushesWaiting = 0;
    maxHeld = Math.max(maxHeld, cache.size());
    release();
    gate = new Promise<void>((r) => {
      release = r;
    });
  }
  release();
  gate = Promise.resolve();
  await Promise.all(adds);
  assert.equal(written, 80, 'every point written');
  assert.ok(maxHeld <= 10, `held at most max_points (held ${maxHeld})`);
  assert.ok(cache.stats().backpressureWaits > 0, 'producers had to wait');
  await cache.stop();
});

test('stop() drains what is pending and refuses more', async () => {
  let written = 0;
  const cache = new WriteCache({
    maxPoints: 100,
    flushPoints: 100,
    flushIntervalMs: 60_000,
    flush: async (series) => {
      for (const s of series) written += s.timestamps.length;
      return new Map();
    },
  });
  const pending = cache.add(batch([point('a', 60), point('b', 60)]));
  await cache.stop();
  await pending;
  assert.equal(written, 2);
  await assert.rejects(cache.add(batch([point('a', 120)])), /stopping/);
});
