import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, InvalidAggregationMethodError } from '../index.js';
import { cpythonSetOrder } from '../src/setorder.js';
import { rng, setOrder } from './helpers.js';

describe('aggregate (python-whisper semantics)', () => {
  const table: Array<[string, number[], (number | null)[] | undefined, number]> = [
    // test_whisper.py test_aggregate
    ['min', [3, 2, 5, 4], undefined, 2],
    ['max', [3, 2, 5, 4], undefined, 5],
    ['last', [3, 2, 5, 4], undefined, 4],
    ['sum', [10, 2, 3, 4], undefined, 19],
    ['average', [1, 2, 3, 4], undefined, 2.5],
    ['avg_zero', [1, 2, 3, 4], [1, 2, 3, 4, null, null, null, null], 1.25],
    ['absmax', [-3, -2, 1, 2], undefined, -3],
    ['absmax', [-2, -1, 2, 3], undefined, 3],
    ['absmin', [-3, -2, 1, 2], undefined, 1],
    ['absmin', [-2, -1, 2, 3], undefined, -1],
    // whisper.md §8 verified example: window [3, None, -7, None, 2]
    ['average', [3, -7, 2], [3, null, -7, null, 2], -0.6666666666666666],
    ['sum', [3, -7, 2], [3, null, -7, null, 2], -2],
    ['last', [3, -7, 2], [3, null, -7, null, 2], 2],
    ['max', [3, -7, 2], [3, null, -7, null, 2], 3],
    ['min', [3, -7, 2], [3, null, -7, null, 2], -7],
    ['avg_zero', [3, -7, 2], [3, null, -7, null, 2], -0.4],
    ['absmax', [3, -7, 2], [3, null, -7, null, 2], -7],
    ['absmin', [3, -7, 2], [3, null, -7, null, 2], 2],
    // ties keep the first element
    ['absmax', [-3, 3], undefined, -3],
    ['absmin', [2, -2], undefined, 2],
    // NaN behaves by position, like Python's max(): max([nan,1]) = nan, max([1,nan]) = 1
    ['max', [Number.NaN, 1], undefined, Number.NaN],
    ['max', [1, Number.NaN], undefined, 1],
    ['min', [1, Number.NaN], undefined, 1],
    ['absmax', [1, Number.NaN, -2], undefined, -2],
    ['avg_zero', [Number.NaN], [Number.NaN, null], Number.NaN],
    // plain left-to-right summation (no compensation): 0.1+0.2+0.3 != 0.6
    ['sum', [0.1, 0.2, 0.3], undefined, 0.6000000000000001],
  ];
  for (const [method, known, neighbors, expected] of table) {
    it(`${method}(${JSON.stringify(known)}) = ${expected}`, () => {
      assert.equal(aggregate(method, known, neighbors), expected);
    });
  }
  it('rejects unknown methods with the reference message', () => {
    assert.throws(
      () => aggregate('derp', [1]),
      (e: unknown) => e instanceof InvalidAggregationMethodError && e.message === 'Unrecognized aggregation method derp',
    );
  });
  it('rejects avg_zero without neighbour values', () => {
    assert.throws(() => aggregate('avg_zero', [1, 2]), /Using avg_zero without neighborValues/);
    assert.throws(() => aggregate('avg_zero', [1, 2], []), /Using avg_zero without neighborValues/);
  });
});

describe('CPython set order emulation', () => {
  it('matches list(set(x)) of /usr/bin/python3 on 3000 random lists', () => {
    const r = rng(42);
    const lists: number[][] = [];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(r() * (i % 3 === 0 ? 400 : 40));
      const step = [60, 300, 3600, 1, 7][i % 5];
      const base = Math.floor((r() * 2 ** 32) / step) * step;
      const list: number[] = [];
      for (let j = 0; j < n; j++) list.push(base + Math.floor(r() * n * 1.5) * step);
      if (i % 4 === 0) list.sort((a, b) => a - b);
      lists.push(list);
    }
    const expected = setOrder(lists);
    const out = new Float64Array(1000);
    lists.forEach((list, i) => {
      const m = cpythonSetOrder(list, list.length, out);
      assert.deepEqual(Array.from(out.subarray(0, m)), expected[i], `list ${i}`);
    });
  });
});
