import assert from 'node:assert/strict';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dataMessage } from '../../../common/testing/data-message.js';
import { Spool, type SpoolOptions, type SpoolRecord } from '../src/spool/index.js';
import { numberOf, readAll, SPOOL_HOST, tempDir } from './spool-fixtures.js';

type Op =
  | { t: 'append'; count: number }
  | { t: 'read'; max: number }
  | { t: 'confirm'; count: number }
  | { t: 'crash'; tornTail: Uint8Array | null }
  | { t: 'restart' };

const op = (maxAppend: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('append' as const), count: fc.integer({ min: 1, max: maxAppend }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('read' as const), max: fc.integer({ min: 1, max: 12 }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('confirm' as const), count: fc.integer({ min: 0, max: 10 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('crash' as const),
        tornTail: fc.option(fc.uint8Array({ minLength: 1, maxLength: 60 }), { nil: null }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const) }) },
  );

/**
 * Runs `ops` against a real spool and an in-memory model of what was appended and
 * confirmed, and checks after every step: nothing is reordered, nothing is lost except
 * what the spool counted as dropped, and a crash replays at most already-confirmed records.
 */
async function check(ops: Op[], bounded: boolean): Promise<void> {
  const temp = await tempDir('prop');
  const options: SpoolOptions = bounded
    ? { dir: temp.dir, fsync: 'never', segmentBytes: 4096, maxBytes: 8192 }
    : { dir: temp.dir, fsync: 'never', segmentBytes: 4096, maxBytes: 1 << 30 };
  let spool = new Spool(options);
  await spool.start();
  const appended: number[] = []; // ids in append order; id = index
  let confirmedCount = 0; // model: appended[0..confirmedCount) are confirmed
  // A crash may forget confirms not yet in the cursor file; replay then starts anywhere in
  // [durableFloor, confirmedCount]. The floor is what a clean stop surely saved.
  let durableFloor = 0;
  let confirmedSinceOpen = 0;
  let handedOut: SpoolRecord[] = []; // read since the last open, not yet confirmed
  let lastReadId = -1; // reads since the last open must increase
  let dropped = 0; // drops counted by closed spool instances

  const seen = (records: SpoolRecord[]) => {
    for (const record of records) {
      const id = numberOf(record);
      assert.ok(id > lastReadId, `record ${id} read after ${lastReadId}: reordered or repeated`);
      if (lastReadId === -1) {
        const countedDrops = dropped + spool.stats().dropped;
        assert.ok(
          id <= confirmedCount + countedDrops,
          `replay started at ${id}, past the confirmed ${confirmedCount} + ${countedDrops} dropped: records lost`,
        );
        assert.ok(id >= durableFloor, `replay started at ${id}, before ${durableFloor} which a clean stop saved`);
      }
      lastReadId = id;
    }
  };
  const reopen = async (how: 'crash' | 'clean') => {
    dropped += spool.stats().dropped;
    if (how === 'clean') durableFloor = Math.max(durableFloor, confirmedSinceOpen);
    spool = new Spool(options);
    await spool.start();
    handedOut = [];
    lastReadId = -1;
    confirmedSinceOpen = 0;
  };

  try {
    for (const step of ops) {
      if (step.t === 'append') {
        const ids = Array.from({ length: step.count }, (_, i) => appended.length + i);
        await spool.append(ids.map((id) => dataMessage(SPOOL_HOST, id)));
        appended.push(...ids);
      } else if (step.t === 'read') {
        const records = await spool.read(step.max);
        seen(records);
        handedOut.push(...records);
      } else if (step.t === 'confirm') {
        const done = handedOut.splice(0, Math.min(step.count, handedOut.length));
        if (done.length === 0) continue;
        await spool.confirmThrough(done[done.length - 1].seq, done.length);
        confirmedSinceOpen = numberOf(done[done.length - 1]) + 1;
        confirmedCount = Math.max(confirmedCount, confirmedSinceOpen);
      } else if (step.t === 'crash') {
        await spool.abandon();
        if (step.tornTail) {
          // An append that never returned: a partial record at the end of the newest segment.
          const segments = (await readdir(temp.dir)).filter((name) => name.endsWith('.seg')).sort();
          const last = segments[segments.length - 1];
          if (last) await appendFile(join(temp.dir, last), Buffer.concat([Buffer.from('NMS2'), step.tornTail]));
        }
        await reopen('crash');
      } else {
        await spool.stop();
        await reopen('clean');
      }
    }
    // Final: a clean restart, then everything left must be exactly the unconfirmed records minus counted drops.
    await spool.stop();
    await reopen('clean');
    const rest = await readAll(spool);
    seen(rest);
    dropped += spool.stats().dropped;
    const restIds = new Set(rest.map(numberOf));
    const lost = appended.slice(confirmedCount).filter((id) => !restIds.has(id));
    assert.ok(lost.length <= dropped, `${lost.length} records lost but only ${dropped} counted as dropped`);
    if (!bounded) {
      assert.equal(dropped, 0);
      const from = rest.length > 0 ? numberOf(rest[0]) : appended.length;
      assert.deepEqual([...restIds], appended.slice(from), 'unbounded spool: every unconfirmed record survives, in order');
    }
    assert.equal(spool.stats().records, rest.length);
  } finally {
    await spool.stop();
    await temp.remove();
  }
}

describe('spool property: random append/read/confirm/crash/restart against a model', () => {
  it('never loses or reorders a record (unbounded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(6), { minLength: 1, maxLength: 40 }), (ops) => check(ops, false)),
      { seed: 20261122, numRuns: 60 },
    );
  });

  it('loses only counted drops and never reorders (4 KiB segments, 8 KiB bound)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(30), { minLength: 10, maxLength: 60 }), (ops) => check(ops, true)),
      { seed: 11222026, numRuns: 60 },
    );
  });
});
