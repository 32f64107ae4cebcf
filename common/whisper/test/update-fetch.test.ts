import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  type ArchiveSpec,
  type CreateOptions,
  create,
  fetch,
  InvalidConfigurationError,
  InvalidTimeIntervalError,
  TimestampNotCoveredError,
  update,
  updateMany,
  WhisperError,
} from '../index.js';
import { NOW, spec, tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
function make(archives: ArchiveSpec[], opts?: CreateOptions): string {
  const f = path.join(dir, `u${n++}.wsp`);
  create(f, archives, opts);
  return f;
}
/** Raw slots of archive `i`: [timestamp, value][]. */
function slots(f: string, i: number): Array<[number, number]> {
  const b = fs.readFileSync(f);
  const offset = b.readUInt32BE(16 + i * 12);
  const points = b.readUInt32BE(24 + i * 12);
  return Array.from({ length: points }, (_, p) => [b.readUInt32BE(offset + p * 12), b.readDoubleBE(offset + p * 12 + 4)]);
}
const notCovered = (e: unknown) => e instanceof TimestampNotCoveredError;
// NOW = 1700000000 is a multiple of 100 but not of 60 (1700000000 mod 60 = 20).
const T = NOW - (NOW % 60); // 1699999980

describe('update (single point)', () => {
  it('writes a point that fetch reads back, default timestamp = now', () => {
    const f = make([spec(1, 60)]);
    update(f, 1.5, NOW - 10, { now: NOW });
    update(f, 2.5, undefined, { now: NOW });
    assert.deepEqual(fetch(f, NOW - 11, NOW, { now: NOW }), {
      start: NOW - 10,
      end: NOW + 1,
      step: 1,
      values: [1.5, ...Array(9).fill(null), 2.5],
    });
  });

  it('accepts ages 0..maxRetention-1 and rejects the rest (E2)', () => {
    const f = make([spec(60, 10)]);
    update(f, 1, NOW - 599, { now: NOW });
    for (const ts of [NOW + 1, NOW - 600, NOW - 10000]) {
      assert.throws(
        () => update(f, 1, ts, { now: NOW }),
        (e: unknown) => notCovered(e) && (e as WhisperError).path === f,
      );
    }
  });

  it('truncates fractional timestamps toward zero', () => {
    const f = make([spec(1, 60)]);
    update(f, 7, NOW - 5.9, { now: NOW });
    assert.deepEqual(fetch(f, NOW - 7, NOW - 6, { now: NOW })?.values, [7]); // stored at NOW - 6
  });

  it('writes a point older than archive 0 raw into archive 1 (E6)', () => {
    const f = make([spec(60, 10), spec(300, 12)]);
    update(f, 42, NOW - 700, { now: NOW });
    assert.ok(slots(f, 0).every(([t]) => t === 0));
    assert.deepEqual(slots(f, 1)[0], [NOW - 700 - ((NOW - 700) % 300), 42]);
  });

  it('places an older point behind the base, wrapping backwards', () => {
    const f = make([spec(60, 10)]);
    update(f, 1, T, { now: NOW });
    update(f, 2, T - 120, { now: NOW });
    assert.deepEqual(slots(f, 0)[0], [T, 1]);
    assert.deepEqual(slots(f, 0)[8], [T - 120, 2]);
  });

  it('keeps NaN and infinities', () => {
    const f = make([spec(60, 10)]);
    update(f, Number.NaN, T - 120, { now: NOW });
    update(f, Infinity, T - 60, { now: NOW });
    update(f, -Infinity, T, { now: NOW });
    assert.deepEqual(fetch(f, T - 180, T, { now: NOW })?.values, [Number.NaN, Infinity, -Infinity]);
  });
});

describe('propagation and xFilesFactor', () => {
  const w = 1700000100; // a multiple of 300: the 5-minute window [w, w+300)
  it('aggregates into the lower archive once known/total >= xff', () => {
    const f = make([spec(60, 10), spec(300, 12)], { xFilesFactor: 0.5 });
    const now = w + 299;
    update(f, 1, w, { now });
    update(f, 2, w + 60, { now });
    assert.equal(slots(f, 1)[0][0], 0, '2 of 5 known: nothing propagated');
    update(f, 6, w + 120, { now });
    assert.deepEqual(slots(f, 1)[0], [w, 3]);
  });

  it('updateMany with an xFilesFactor option propagates by it and never writes it into the header', () => {
    const f = make([spec(60, 10), spec(300, 12)], { xFilesFactor: 0.5 });
    const now = w + 299;
    const header = fs.readFileSync(f).subarray(0, 16);
    updateMany(
      f,
      [
        [w, 1],
        [w + 60, 2],
        [w + 120, 6],
        [w + 180, 3],
      ],
      { now, xFilesFactor: 1 },
    );
    assert.equal(slots(f, 1)[0][0], 0, '4 of 5 known, the option says 1: nothing propagated');
    assert.deepEqual(fs.readFileSync(f).subarray(0, 16), header, 'the stored xff is untouched');
    updateMany(f, [[w + 240, 8]], { now, xFilesFactor: 1 });
    assert.deepEqual(slots(f, 1)[0], [w, 4]);
    const lax = make([spec(60, 10), spec(300, 12)], { xFilesFactor: 0.5 });
    updateMany(
      lax,
      [
        [w, 1],
        [w + 60, 2],
        [w + 120, 6],
      ],
      { now },
    );
    assert.deepEqual(slots(lax, 1)[0], [w, 3], "without the option, the file's own 0.5");
    assert.throws(() => updateMany(f, [[w, 1]], { now, xFilesFactor: 2 }), /xFilesFactor/);
  });

  it('compares against the float32 xff: 0.1 with 1 of 10 known does not propagate (E7)', () => {
    const f = make([spec(60, 20), spec(600, 10)], { xFilesFactor: 0.1 });
    const base = 1700000400; // a multiple of 600
    update(f, 5, base, { now: base + 599 });
    assert.equal(slots(f, 1)[0][0], 0);
    update(f, 7, base + 60, { now: base + 599 });
    assert.deepEqual(slots(f, 1)[0], [base, 6]);
  });

  it('xff 0 propagates a single known point, and each method aggregates the window', () => {
    const expected: Record<string, number> = {
      average: -0.6666666666666666,
      sum: -2,
      last: 2,
      max: 3,
      min: -7,
      avg_zero: -0.4,
      absmax: -7,
      absmin: 2,
    };
    for (const [method, value] of Object.entries(expected)) {
      const f = make([spec(60, 10), spec(300, 12)], { xFilesFactor: 0, aggregationMethod: method as CreateOptions['aggregationMethod'] });
      updateMany(
        f,
        [
          [w, 3],
          [w + 120, -7],
          [w + 240, 2],
        ],
        { now: w + 299 },
      );
      assert.deepEqual(slots(f, 1)[0], [w, value], method);
    }
  });

  it('wrap-around window when ratio == points (whisper.md exp7)', () => {
    const f = make([spec(60, 5), spec(300, 10)], { xFilesFactor: 0 });
    // Base of the 60s ring is mid-window, so the 5-point window wraps.
    updateMany(
      f,
      [
        [w + 120, 3],
        [w + 180, 4],
        [w + 240, 5],
      ],
      { now: w + 299 },
    );
    updateMany(
      f,
      [
        [w, 1],
        [w + 60, 2],
      ],
      { now: w + 299 },
    );
    assert.deepEqual(
      slots(f, 1).find(([t]) => t === w),
      [w, 3],
    );
  });
});

describe('updateMany', () => {
  it('in one slot, the largest timestamp wins; among equal timestamps the first input wins (E5)', () => {
    const f = make([spec(60, 10)]);
    updateMany(
      f,
      [
        [T, 1],
        [T, 2],
        [T, 3],
      ],
      { now: NOW },
    );
    assert.deepEqual(fetch(f, T - 1, T, { now: NOW })?.values, [1]);
    updateMany(
      f,
      [
        [T + 5, 1],
        [T, 2],
        [T + 1, 3],
      ],
      { now: NOW },
    );
    assert.deepEqual(fetch(f, T - 1, T, { now: NOW })?.values, [1]);
    updateMany(
      f,
      [
        [T, 9],
        [T + 19, 8],
        [T + 3, 7],
      ],
      { now: NOW },
    );
    assert.deepEqual(fetch(f, T - 1, T, { now: NOW })?.values, [8]);
  });

  it('drops points older than maxRetention silently and accepts age == retention (E3)', () => {
    const f = make([spec(60, 10)]);
    updateMany(
      f,
      [
        [NOW - 5000, 1],
        [NOW - 600, 2],
        [NOW - 60, 3],
      ],
      { now: NOW },
    );
    const stored = slots(f, 0).filter(([t]) => t !== 0);
    assert.deepEqual(
      stored.sort((a, b) => a[0] - b[0]),
      [
        [NOW - 600 - ((NOW - 600) % 60), 2],
        [T - 60, 3],
      ],
    );
  });

  it('points+1 points: the newest overwrites the oldest (test_update_many_excess)', () => {
    const f = make([spec(60, 10)]);
    const pts: Array<[number, number]> = [];
    for (let i = 0; i <= 10; i++) pts.push([T - 600 + i * 60, i]);
    updateMany(f, pts, { now: T });
    const r = fetch(f, 0, T, { now: T });
    assert.deepEqual(r, { start: T - 540, end: T + 60, step: 60, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
  });

  it('rejects future points before writing anything (divergence from E4)', () => {
    const f = make([spec(60, 10), spec(300, 12)]);
    const before = fs.readFileSync(f);
    assert.throws(
      () =>
        updateMany(
          f,
          [
            [NOW - 60, 1],
            [NOW + 60, 2],
          ],
          { now: NOW },
        ),
      (e: unknown) => notCovered(e) && /Timestamp 1700000060 at index 1 is in the future \(now 1700000000\)/.test((e as Error).message),
    );
    assert.ok(fs.readFileSync(f).equals(before));
  });

  it('rejects non-finite timestamps', () => {
    const f = make([spec(60, 10)]);
    assert.throws(() => updateMany(f, [[Number.NaN, 1]], { now: NOW }), /Invalid timestamp NaN at index 0/);
  });

  it('an empty batch does not even open the file', () => {
    updateMany(path.join(dir, 'does-not-exist.wsp'), [], { now: NOW });
  });

  it('unsorted input is written in time order', () => {
    const f = make([spec(60, 10)]);
    updateMany(
      f,
      [
        [T - 60, 2],
        [T, 3],
        [T - 120, 1],
      ],
      { now: NOW },
    );
    assert.deepEqual(fetch(f, T - 180, T, { now: NOW })?.values, [1, 2, 3]);
  });
});

describe('fetch', () => {
  const f = make([spec(60, 10), spec(300, 12)]);
  updateMany(
    f,
    [
      [T - 60, 1],
      [T, 2],
    ],
    { now: NOW },
  );

  it('returns the slots in (from - from mod step, until - until mod step]', () => {
    assert.deepEqual(fetch(f, T - 120, T, { now: NOW }), { start: T - 60, end: T + 60, step: 60, values: [1, 2] });
  });
  it('a zero-length range returns the next slot (E11)', () => {
    assert.deepEqual(fetch(f, NOW - 20, NOW - 20, { now: NOW }), { start: T + 60, end: T + 120, step: 60, values: [null] });
    assert.deepEqual(fetch(f, T - 60, T - 60, { now: NOW }), { start: T, end: T + 60, step: 60, values: [2] });
  });
  it('returns null for ranges in the future or beyond retention (E10)', () => {
    assert.equal(fetch(f, NOW + 1, NOW + 100, { now: NOW }), null);
    assert.equal(fetch(f, 0, NOW - 3601, { now: NOW }), null);
  });
  it('raises for from > until, before clamping', () => {
    assert.throws(
      () => fetch(f, NOW + 100, NOW + 50, { now: NOW }),
      (e: unknown) =>
        e instanceof InvalidTimeIntervalError &&
        e.message === "Invalid time interval: from time '1700000100' is after until time '1700000050'",
    );
  });
  it('picks the archive by how far back from is', () => {
    assert.equal(fetch(f, NOW - 600, NOW, { now: NOW })?.step, 60);
    assert.equal(fetch(f, NOW - 601, NOW, { now: NOW })?.step, 300);
    assert.equal(fetch(f, 0, NOW, { now: NOW })?.step, 300);
  });
  it('clamps the future part of a range (test_file_fetch_edge_cases)', () => {
    const g = make([spec(1, 60)]);
    assert.deepEqual(fetch(g, NOW, NOW + 200, { now: NOW }), { start: NOW + 1, end: NOW + 2, step: 1, values: [null] });
  });
  it('fetch(0) on a 4-archive file uses the coarsest (test_fetch)', () => {
    const g = make([spec(1, 60), spec(60, 60), spec(3600, 24), spec(86400, 365)]);
    const r = fetch(g, 0, undefined, { now: NOW });
    assert.ok(r);
    assert.equal(r.end - r.start, 86400 * 365);
    assert.equal(r.step, 86400);
    assert.equal(r.values.length, 365);
  });
  it('archiveToSelect picks by precision; unknown precision raises', () => {
    const g = make([spec(1, 60), spec(60, 60), spec(3600, 24), spec(86400, 365)]);
    for (const [sel, step] of [
      ['1s', 1],
      ['1m', 60],
      ['1h', 3600],
      ['1d', 86400],
      [60, 60],
    ] as const) {
      const r = fetch(g, NOW - 30, NOW, { now: NOW, archiveToSelect: sel });
      assert.equal(r?.step, step, String(sel));
    }
    assert.throws(
      () => fetch(g, NOW - 30, NOW, { now: NOW, archiveToSelect: '2s' }),
      (e: unknown) => e instanceof InvalidConfigurationError && e.message.startsWith('Invalid granularity: 2 '),
    );
  });
  it('archiveToSelect clamps to that archive (divergence from E12): values match the time range', () => {
    const r = fetch(f, 0, NOW, { now: NOW, archiveToSelect: 60 });
    assert.ok(r);
    assert.equal(r.values.length, (r.end - r.start) / r.step);
    assert.deepEqual(r.values.slice(-2), [1, 2]);
    assert.equal(fetch(f, 0, NOW - 700, { now: NOW, archiveToSelect: '1m' }), null);
  });
  it('a missing file is an error naming it', () => {
    const g = path.join(dir, 'nope.wsp');
    assert.throws(
      () => fetch(g, 0, NOW, { now: NOW }),
      (e: unknown) => e instanceof WhisperError && e.path === g && e.code === 'ENOENT',
    );
  });
});
