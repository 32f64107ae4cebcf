/** /render's JSON text, written without building point pairs, is what res.json(toJson(...)) sent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonBytes } from '../src/query/json-bytes.js';
import { applyMaxDataPoints, jsonChunks, toJson, toJsonText } from '../src/query/render.js';
import { Series } from '../src/query/series.js';

/** express's `json escape`. */
const escaped = (value: unknown) => JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function sample(): Series[] {
  const hostile = new Series({ name: '</script><b>&"x"', start: 60, end: 360, step: 60, values: [1.5, null, Number.NaN, -0, 1e21] });
  hostile.setTag('k', '<&>');
  const empty = new Series({ name: 'empty', start: 60, end: 240, step: 60, values: [null, null, null] });
  const long = new Series({ name: 'long', start: 7, end: 7 + 60 * 50, step: 60, values: Array.from({ length: 50 }, (_, i) => i / 3) });
  return [hostile, empty, long];
}

describe('render JSON text', () => {
  it('equals the escaped JSON of toJson, with and without noNullPoints, after maxDataPoints', () => {
    for (const noNull of [false, true]) {
      assert.equal(toJsonText(sample(), noNull), escaped(toJson(sample(), noNull)));
      const a = sample();
      const b = sample();
      applyMaxDataPoints(a, 7);
      applyMaxDataPoints(b, 7);
      assert.equal(toJsonText(a, noNull), escaped(toJson(b, noNull)));
    }
    assert.ok(!toJsonText(sample(), false).includes('<'));
  });
});

describe('render JSON in slices', () => {
  it('cuts the answer into slices of about sliceBytes that join into the same text, across grids and with noNullPoints', () => {
    // Three grids (the timestamps of each are written once), full-precision values and gaps.
    const list = () => [
      ...sample(),
      ...[0, 1, 2].map(
        (k) =>
          new Series({
            name: `grid${k}`,
            start: 60 * (k + 1),
            end: 60 * (k + 1) + 60 * 400,
            step: 60,
            values: Array.from({ length: 400 }, (_, i) => (i % 9 === 0 ? null : 50 + 40 * Math.sin(i / 7 + k))),
          }),
      ),
    ];
    for (const noNull of [false, true]) {
      const slices = [...jsonChunks(list(), noNull, 2048)];
      assert.ok(slices.length > 10, `${slices.length} slices`);
      assert.ok(
        slices.slice(0, -1).every((b) => b.length >= 2048 && b.length < 2048 + 1024),
        slices.map((b) => b.length).join(' '),
      );
      assert.equal(Buffer.concat(slices).toString('utf8'), escaped(toJson(list(), noNull)));
    }
  });
});

describe('JSON bytes: numbers', () => {
  it('writes every number as the same value, and as JSON.stringify does for integers and short decimals', () => {
    const usual = [0, -0, 7, -42, 1_700_000_000, 2 ** 31, 2 ** 40 + 1, 3.7, -0.5, 0.25, 12.345678, 99.9, 0.000001, 1.000001, -123.456];
    const odd = [1 / 3, 0.1 + 0.2, Math.PI, -1e-7, 1e21, 2 ** 53, 1.5e300, 5e-324, 123456789.123456];
    let seed = 7;
    const random = Array.from({ length: 2000 }, () => {
      seed = (seed * 16807) % 2147483647;
      return ((seed / 2147483647) * 2000 - 1000) / 10 ** (seed % 8);
    });
    for (const v of [...usual, ...odd, ...random]) {
      const out = new JsonBytes(16);
      out.number(v);
      const text = out.bytes().toString('latin1');
      assert.equal(JSON.parse(text), v === 0 ? 0 : v, `${v} written ${text}`);
      if (usual.includes(v)) assert.equal(text, JSON.stringify(v));
    }
  });
});
