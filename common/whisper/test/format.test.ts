/**
 * Property tests (fast-check, fixed seed): the number formats the CLI borrows from Python
 * match CPython for random doubles, and retention strings parse to what the units say.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRetentionDef } from '../index.js';
import { pyFixed6, pyG35 } from '../src/cli-format.js';
import { pyFloatRepr } from '../src/pyfmt.js';

const SEED = 20261122;

/** Python's repr(x), '%10.35g' % x and '%f' % x for each double, in one /usr/bin/python3 run. */
function pythonFormats(xs: number[]): Array<[string, string, string]> {
  const script = [
    'import json, struct, sys',
    'xs = [struct.unpack("!d", bytes.fromhex(h))[0] for h in json.load(sys.stdin)]',
    'print(json.dumps([[repr(x), "%10.35g" % x, "%f" % x] for x in xs]))',
  ].join('\n');
  const hex = xs.map((x) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return b.toString('hex');
  });
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(hex) }).toString());
}

describe('Python number formats', () => {
  it('pyFloatRepr, pyG35 and pyFixed6 match CPython on 3000 random doubles', () => {
    const special = [
      0,
      -0,
      1,
      -1,
      0.1,
      0.5,
      1e-5,
      1e-4,
      1e15,
      1e16,
      1e17,
      123456789.125,
      5e-324,
      1.7976931348623157e308,
      Number.NaN,
      Infinity,
      -Infinity,
      0.30000001192092896,
    ];
    const xs = [
      ...special,
      ...fc.sample(fc.double(), { numRuns: 2000, seed: SEED }),
      ...fc.sample(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { numRuns: 1000, seed: SEED + 1 }),
    ];
    const ref = pythonFormats(xs);
    xs.forEach((x, i) => {
      const [repr, g35, fixed] = ref[i];
      // Python prints -nan for some NaN payloads; every NaN here is JavaScript's canonical one.
      assert.equal(pyFloatRepr(x), repr, `repr(${x})`);
      assert.equal(pyG35(x), g35, `%10.35g of ${x}`);
      assert.equal(pyFixed6(x), fixed, `%f of ${x}`);
    });
  });
});

describe('parseRetentionDef properties', () => {
  const units: Array<[string, number]> = [
    ['s', 1],
    ['sec', 1],
    ['m', 60],
    ['min', 60],
    ['h', 3600],
    ['hours', 3600],
    ['d', 86400],
    ['w', 604800],
    ['y', 31536000],
  ];
  it('PRECISION:RETENTION with units gives (n·unit, floor(m·unit2 / precision)) or a clear error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom(...units),
        fc.integer({ min: 1, max: 1000 }),
        fc.constantFrom(...units),
        (n, [u, mult], m, [u2, mult2]) => {
          const spp = n * mult;
          const points = Math.floor((m * mult2) / spp);
          const text = `${n}${u}:${m}${u2}`;
          if (points >= 1) {
            assert.deepEqual(parseRetentionDef(text), { secondsPerPoint: spp, points });
          } else {
            assert.throws(() => parseRetentionDef(text), /gives 0 points/);
          }
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
  it('plain numbers are seconds and point counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 }), (spp, points) => {
        assert.deepEqual(parseRetentionDef(`${spp}:${points}`), { secondsPerPoint: spp, points });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
