/** /render's JSON text, written without building point pairs, is what res.json(toJson(...)) sent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMaxDataPoints, toJson, toJsonText } from '../src/query/render.js';
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
