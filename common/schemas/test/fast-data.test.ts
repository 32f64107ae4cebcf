import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DataMessage, decodeMessage, fastDataMessage, MAX_TIMESTAMP, Message, MIN_TIMESTAMP } from '../index.js';

/** Names: mostly safe ones, some that break each rule of nameProblem. */
const name = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom('load', 'cpu', 'web-1', 'if_eth0', 'diskstats.sda', 'x'.repeat(200)) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..', 'a/b', 'a\\b', 'a\u0000b', 'a\nb', ' a', 'b ', 'x'.repeat(201), '__proto__') },
);
const timestamp = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: MIN_TIMESTAMP, max: MAX_TIMESTAMP }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      MIN_TIMESTAMP - 1,
      MAX_TIMESTAMP + 1,
      1_700_000_000_000,
      1_700_000_000.5,
      -1,
      0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('1700000000', null, true) },
);
const value = fc.oneof(
  { weight: 30, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, '1.5', 'U', true, [], {}) },
);
/** Occasionally a wrong value for a key, an extra key or a missing key. */
const wrong = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));
const maybeBroken = (object: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(
      object,
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom('v', 'kind', 'hostId', 'points', 'plugin', 'timestamp', 'values', 'extra'), wrong),
        },
      ),
    )
    .map(([o, change]) => {
      if (!change) return o;
      const copy = { ...o };
      if (change[1] === undefined) delete copy[change[0]];
      else copy[change[0]] = change[1];
      return copy;
    });
const point = maybeBroken(fc.record({ plugin: name, timestamp, values: fc.dictionary(name, value, { maxKeys: 6 }) }));
const message = maybeBroken(
  fc.record({
    v: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(2, '1', 0) }),
    kind: fc.oneof({ weight: 8, arbitrary: fc.constant('data') }, { weight: 1, arbitrary: fc.constantFrom('info', 'host', 'Data') }),
    hostId: name,
    points: fc.oneof({ weight: 8, arbitrary: fc.array(point, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) }),
  }),
);

/** What the wire gives: the value after a JSON round trip (undefined keys gone, -0 kept as 0). */
const viaJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
const mentionsProto = (x: unknown) => JSON.stringify(x).includes('"__proto__"');

describe('fastDataMessage agrees with the zod DataMessage schema', () => {
  it('accepts only what zod accepts, returning the same value; accepts all zod accepts except __proto__ names', () => {
    let fastAccepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(message, (generated) => {
        const raw = viaJson(generated);
        const zod = Message.safeParse(raw);
        const fast = fastDataMessage(raw);
        if (fast) {
          fastAccepted++;
          assert.ok(zod.success, `fast accepted what zod refuses: ${JSON.stringify(raw)}`);
          assert.deepEqual(fast, zod.data);
          assert.deepEqual(DataMessage.parse(raw), fast);
        } else {
          rejected++;
          if (!mentionsProto(raw)) assert.equal(zod.success, false, `fast path refused a valid message: ${JSON.stringify(raw)}`);
        }
        const decoded = decodeMessage(JSON.stringify(raw));
        assert.equal(decoded.ok, zod.success);
      }),
      { numRuns: 1500 },
    );
    assert.ok(fastAccepted > 150 && rejected > 150, `both sides exercised (${fastAccepted} accepted, ${rejected} refused)`);
  });

  it('never accepts a non-JSON oddity zod would refuse', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        if (fastDataMessage(x)) assert.ok(DataMessage.safeParse(x).success);
      }),
    );
  });

  it('leaves the error message to zod', () => {
    const decoded = decodeMessage(
      JSON.stringify({ v: 1, kind: 'data', hostId: 'h', points: [{ plugin: 'a/b', timestamp: MIN_TIMESTAMP, values: {} }] }),
    );
    assert.equal(decoded.ok, false);
    assert.match(decoded.ok ? '' : decoded.reason, /points\.0\.plugin: name "a\/b" contains/);
  });
});
