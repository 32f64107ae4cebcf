import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatValue as browserFormat } from '../../../services/webapp/src/render/units.js';
import { formatValue } from '../src/units.js';

describe('chart units', () => {
  it('formats as the webapp browser client does (two copies, one output)', () => {
    const values = [0, 1, -1, 0.5, 0.000_012_3, 999, 1000, 1536, 1_048_576, -2.5e9, 1e21, 123.456, Number.NaN, null];
    for (const base of [1000, 1024] as const)
      for (const v of values) assert.equal(formatValue(v, base), browserFormat(v, base), `${v} base ${base}`);
    assert.equal(formatValue(1536, 1024), '1.5 Ki');
    assert.equal(formatValue(2500, 1000), '2.5 k');
  });
});
