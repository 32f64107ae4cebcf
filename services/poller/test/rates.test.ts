import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import type { FieldType } from '../../../common/schemas/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { applyRates } from '../src/rates/apply.js';
import { convertReading, counterDelta, type LastReading, type RateLimits } from '../src/rates/convert.js';
import { RateStateFile } from '../src/rates/state-file.js';

const HB = { heartbeat: 600 };
type Row = [
  name: string,
  type: FieldType,
  previous: LastReading | undefined,
  raw: number | null,
  t: number,
  limits: RateLimits,
  expected: number | null,
  remember: LastReading | null | undefined,
];

describe('convertReading (munin/RRD semantics)', () => {
  const table: Row[] = [
    ['gauge as read', 'GAUGE', undefined, 42.5, 1000, HB, 42.5, undefined],
    ['gauge unknown', 'GAUGE', undefined, null, 1000, HB, null, undefined],
    ['gauge above max is unknown', 'GAUGE', undefined, 150, 1000, { ...HB, max: 100 }, null, undefined],
    ['gauge below min is unknown', 'GAUGE', undefined, -1, 1000, { ...HB, min: 0 }, null, undefined],
    ['derive first sample gives no value', 'DERIVE', undefined, 5000, 1000, HB, null, { t: 1000, v: 5000 }],
    ['derive rate', 'DERIVE', { t: 1000, v: 5000 }, 5600, 1060, HB, 10, { t: 1060, v: 5600 }],
    ['derive may go negative without min', 'DERIVE', { t: 1000, v: 5000 }, 4400, 1060, HB, -10, { t: 1060, v: 4400 }],
    ['derive below min is unknown', 'DERIVE', { t: 1000, v: 5000 }, 4400, 1060, { ...HB, min: 0 }, null, { t: 1060, v: 4400 }],
    ['derive above max is unknown', 'DERIVE', { t: 1000, v: 0 }, 6000, 1060, { ...HB, max: 50 }, null, { t: 1060, v: 6000 }],
    ['derive unknown forgets the reading', 'DERIVE', { t: 1000, v: 5000 }, null, 1060, HB, null, null],
    ['same timestamp keeps the previous reading', 'DERIVE', { t: 1000, v: 5000 }, 5100, 1000, HB, null, undefined],
    ['older timestamp keeps the previous reading', 'DERIVE', { t: 1000, v: 5000 }, 5100, 900, HB, null, undefined],
    ['gap beyond heartbeat is unknown', 'DERIVE', { t: 1000, v: 5000 }, 5100, 1700, HB, null, { t: 1700, v: 5100 }],
    ['counter rate', 'COUNTER', { t: 0, v: 100 }, 700, 60, HB, 10, { t: 60, v: 700 }],
    ['counter 32-bit wrap', 'COUNTER', { t: 0, v: 2 ** 32 - 100 }, 500, 60, HB, 10, { t: 60, v: 500 }],
    ['counter 64-bit wrap', 'COUNTER', { t: 0, v: 2 ** 64 - 2 ** 40 }, 2 ** 40 + 2 ** 41, 1, HB, 2 ** 42, { t: 1, v: 2 ** 40 + 2 ** 41 }],
    ['counter reset is unknown, not a spike', 'COUNTER', { t: 0, v: 1_000_000_000 }, 1000, 60, HB, null, { t: 60, v: 1000 }],
    ['counter reset of a 64-bit counter is unknown', 'COUNTER', { t: 0, v: 2 ** 40 }, 5, 60, HB, null, { t: 60, v: 5 }],
    ['counter above max is unknown', 'COUNTER', { t: 0, v: 0 }, 6000, 60, { ...HB, max: 50 }, null, { t: 60, v: 6000 }],
    ['counter first sample gives no value', 'COUNTER', undefined, 123456, 60, HB, null, { t: 60, v: 123456 }],
    ['absolute: value per second since the last read', 'ABSOLUTE', { t: 0, v: 999 }, 300, 60, HB, 5, { t: 60, v: 300 }],
    ['absolute first sample gives no value', 'ABSOLUTE', undefined, 300, 60, HB, null, { t: 60, v: 300 }],
    ['absolute above max is unknown', 'ABSOLUTE', { t: 0, v: 0 }, 6000, 60, { ...HB, max: 50 }, null, { t: 60, v: 6000 }],
  ];
  for (const [name, type, previous, raw, t, limits, expected, remember] of table) {
    it(name, () => {
      const result = convertReading(type, previous, raw, t, limits);
      assert.equal(result.value, expected);
      assert.deepEqual(result.remember, remember);
    });
  }
});

describe('counterDelta', () => {
  const table: Array<[number, number, number | null]> = [
    [10, 15, 5],
    [2 ** 32 - 1, 0, 1],
    [2 ** 32 - 10, 2 ** 31 - 20, 2 ** 31 - 10],
    [2 ** 31, 0, 2 ** 31],
    [2 ** 31 - 1, 0, null],
    [-1, 5, null],
  ];
  for (const [before, now, expected] of table)
    it(`${before} -> ${now} = ${expected}`, () => assert.equal(counterDelta(before, now), expected));
});

describe('RateStateFile', () => {
  it('survives a restart, is written atomically, and forgets stale readings', async () => {
    const temp = await tempDir('poller-rates');
    const dir = temp.dir;
    try {
      const file = join(dir, 'rates.json');
      const first = new RateStateFile({ file, logger: silentLogger(), forgetAfterSeconds: 1000 });
      await first.load();
      const fields = { c: { label: 'c', type: 'DERIVE' as const } };
      assert.deepEqual(applyRates(first, 'h', 'p', fields, [{ timestamp: 10_000, values: { c: 100 } }], 600), [
        { timestamp: 10_000, values: { c: null } },
      ]);
      first.apply(RateStateFile.key('h', 'old', 'x'), { t: 1, v: 1 });
      await first.save(10_000);
      const second = new RateStateFile({ file, logger: silentLogger() });
      await second.load();
      assert.equal(second.size, 1, 'the stale reading was forgotten');
      assert.deepEqual(applyRates(second, 'h', 'p', fields, [{ timestamp: 10_060, values: { c: 700 } }], 600), [
        { timestamp: 10_060, values: { c: 10 } },
      ]);
      assert.deepEqual(JSON.parse(await readFile(file, 'utf8')).readings, { 'h\tp\tc': [10_000, 100] });
    } finally {
      await temp.remove();
    }
  });

  it('starts over from a damaged file instead of failing', async () => {
    const temp = await tempDir('poller-rates');
    const dir = temp.dir;
    try {
      const file = join(dir, 'rates.json');
      await writeFile(file, '{not json');
      const state = new RateStateFile({ file, logger: silentLogger() });
      await state.load();
      assert.equal(state.size, 0);
    } finally {
      await temp.remove();
    }
  });

  it('applies readings oldest first (supersampling)', () => {
    const state = new RateStateFile({ file: '/nonexistent/x', logger: silentLogger() });
    const fields = { c: { label: 'c', type: 'COUNTER' as const } };
    const out = applyRates(
      state,
      'h',
      'p',
      fields,
      [
        { timestamp: 120, values: { c: 300 } },
        { timestamp: 60, values: { c: 0 } },
        { timestamp: 180, values: { c: 900 } },
      ],
      600,
    );
    assert.deepEqual(
      out.map((r) => r.values.c),
      [null, 5, 10],
    );
  });
});
