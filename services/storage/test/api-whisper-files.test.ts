/**
 * The API's asynchronous whisper reader against common/whisper's synchronous fetch (itself
 * held against python-whisper in common/whisper's tests and api-data.test.ts): the same
 * values on the same slots for every window, archive, ring wrap-around and empty file,
 * and the same errors for damaged files.
 */
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import * as whisper from '../../../common/whisper/index.js';
import { WhisperFiles } from '../src/api/whisper-files.js';
import { planFetch } from '../src/api/whisper-header.js';

const NOW = 1_700_000_030;
const ARCHIVES = [
  { secondsPerPoint: 60, points: 1440 },
  { secondsPerPoint: 300, points: 2016 },
  { secondsPerPoint: 3600, points: 8784 },
];

describe('storage API: asynchronous whisper reads', () => {
  let temp: TempDir;
  let dir: string;
  let full: string;
  let wrapped: string;
  let empty: string;
  const files = new WhisperFiles({ workers: 2, batchFiles: 4 });

  before(async () => {
    temp = await tempDir('wsp-async');
    dir = temp.dir;
    full = join(dir, 'full.wsp');
    whisper.create(full, ARCHIVES);
    const points: Array<[number, number]> = [];
    for (let t = NOW - 300 * 86_400; t <= NOW; t += 60) if (t % 7 !== 0) points.push([t, (t / 60) % 101]);
    whisper.updateMany(full, points, { now: NOW });
    // Written twice around the ring: slot 0 no longer holds the oldest point.
    wrapped = join(dir, 'wrapped.wsp');
    whisper.create(wrapped, [{ secondsPerPoint: 60, points: 100 }]);
    for (const offset of [250, 0]) {
      const batch: Array<[number, number]> = [];
      for (let i = 0; i < 100; i++) batch.push([NOW - offset * 60 - i * 60, i + offset]);
      whisper.updateMany(wrapped, batch, { now: NOW - offset * 60 });
    }
    empty = join(dir, 'empty.wsp');
    whisper.create(empty, ARCHIVES);
  });
  after(async () => {
    await files.close();
    await temp.remove();
  });

  it('returns what common/whisper returns for every window', async () => {
    const windows: Array<[number, number]> = [
      [NOW - 3600, NOW],
      [NOW - 3601, NOW - 61],
      [NOW - 86_400, NOW],
      [NOW - 86_401, NOW - 5],
      [NOW - 7 * 86_400, NOW - 86_400],
      [NOW - 200 * 86_400, NOW],
      [0, NOW],
      [0, NOW - 400 * 86_400],
      [NOW - 60, NOW - 60],
      [NOW + 10, NOW + 3600],
      [NOW - 100, NOW + 3600],
    ];
    for (const path of [full, wrapped, empty]) {
      for (const [from, until] of windows) {
        for (const now of [NOW, NOW + 37]) {
          let expected: ReturnType<typeof whisper.fetch>;
          try {
            expected = whisper.fetch(path, from, until, { now });
          } catch {
            // The synchronous fetch refuses from > until (once until is capped at now); the API reads nothing there.
            expected = null;
          }
          const got = await files.fetch(path, from, until, { now });
          assert.deepEqual(got, expected, `${path} ${from}..${until} now=${now}`);
        }
      }
    }
  });

  it('plans the slot count the fetch returns, from the header alone', async () => {
    const header = await files.header(full);
    assert.deepEqual(
      header.archives.map((a) => [a.secondsPerPoint, a.points]),
      ARCHIVES.map((a) => [a.secondsPerPoint, a.points]),
    );
    assert.equal(header.maxRetention, 3600 * 8784);
    for (const from of [NOW - 3600, NOW - 86_400, NOW - 30 * 86_400, 0]) {
      const plan = planFetch(header, from, NOW, NOW);
      const fetched = whisper.fetch(full, from, NOW, { now: NOW });
      assert.equal(plan?.count, fetched?.values.length, `from ${from}`);
      assert.equal(plan?.step, fetched?.step);
    }
    // Older than the retention and in the future: nothing to read, whatever the window's width.
    assert.equal(planFetch(header, 0, NOW - 2 * 366 * 86_400, NOW), null);
    assert.equal(planFetch(header, NOW + 3600, NOW, NOW), null);
  });

  it('fails like common/whisper on damaged and missing files', async () => {
    const damaged: Array<[string, (path: string) => void]> = [
      ['truncated data', (p) => truncateSync(p, 200)],
      ['truncated header', (p) => truncateSync(p, 20)],
      ['garbage', (p) => writeFileSync(p, Buffer.alloc(4096, 0xff))],
    ];
    for (const [what, damage] of damaged) {
      const path = join(dir, `${what.replace(/ /g, '-')}.wsp`);
      whisper.create(path, ARCHIVES);
      whisper.update(path, 1, NOW - 30, { now: NOW });
      damage(path);
      assert.throws(() => whisper.fetch(path, NOW - 3600, NOW, { now: NOW }), whisper.CorruptWhisperFileError, what);
      await assert.rejects(files.fetch(path, NOW - 3600, NOW, { now: NOW }), whisper.CorruptWhisperFileError, what);
    }
    await assert.rejects(files.header(join(dir, 'nope.wsp')), (error: { code?: string }) => error.code === 'ENOENT');
  });

  it('reads what is asked in one turn in batches of batchFiles, on at most `workers` threads', async () => {
    const reader = new WhisperFiles({ workers: 2, batchFiles: 8 });
    try {
      const results = await Promise.all(Array.from({ length: 40 }, () => reader.fetch(full, NOW - 3600, NOW, { now: NOW })));
      const expected = whisper.fetch(full, NOW - 3600, NOW, { now: NOW });
      for (const result of results) assert.deepEqual(result, expected);
      assert.equal(reader.batchesSent, 5);
      assert.equal(reader.threadCount, 2);
      // A damaged file fails alone: the others of its batch are read.
      const bad = join(dir, 'bad-in-batch.wsp');
      writeFileSync(bad, Buffer.alloc(64, 0xff));
      const mixed = await Promise.allSettled([full, bad, wrapped].map((p) => reader.fetch(p, NOW - 3600, NOW, { now: NOW })));
      assert.deepEqual(
        mixed.map((m) => m.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual((mixed[2] as PromiseFulfilledResult<unknown>).value, whisper.fetch(wrapped, NOW - 3600, NOW, { now: NOW }));
    } finally {
      await reader.close();
    }
  });
});
