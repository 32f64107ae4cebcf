/**
 * The API reader (whisper-files.ts, its reads in worker threads) opens the path on every
 * read: a file rewritten in place is read as it is now, a file replaced by a rename or
 * removed is never read through an old descriptor, and close() ends its threads.
 */
import assert from 'node:assert/strict';
import { renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import * as whisper from '../../../common/whisper/index.js';
import { WhisperFiles } from '../src/api/whisper-files.js';

const NOW = 1_700_000_030;
const ARCHIVES = [{ secondsPerPoint: 60, points: 1440 }];

function write(path: string, value: number): void {
  whisper.create(path, ARCHIVES);
  const points: Array<[number, number]> = [];
  for (let t = NOW - 3600; t <= NOW; t += 60) points.push([t, value]);
  whisper.updateMany(path, points, { now: NOW });
}

describe('storage API: whisper files read as they are now', () => {
  let temp: TempDir;
  let dir: string;
  const files = new WhisperFiles({ workers: 2 });
  before(async () => {
    temp = await tempDir('wsp-fresh-reads');
    dir = temp.dir;
  });
  after(async () => {
    await files.close();
    await temp.remove();
  });
  const lastValue = async (path: string) => {
    const data = await files.fetch(path, NOW - 600, NOW, { now: NOW });
    return data?.values.filter((v) => v !== null).at(-1);
  };

  it('reads a file rewritten in place, then a file replaced by a rename, never the old one', async () => {
    const path = join(dir, 'a.wsp');
    write(path, 1);
    await files.header(path);
    assert.equal(await lastValue(path), 1);
    whisper.update(path, 7, NOW, { now: NOW });
    assert.equal(await lastValue(path), 7, 'in-place update seen');
    const other = join(dir, 'a.wsp.tmp');
    write(other, 42);
    renameSync(other, path);
    assert.equal(await lastValue(path), 42, 'a replaced file is reopened');
  });

  it('a removed file is an error naming it, not the old data', async () => {
    const path = join(dir, 'gone.wsp');
    write(path, 5);
    await files.header(path);
    assert.equal(await lastValue(path), 5);
    unlinkSync(path);
    await assert.rejects(lastValue(path), (e: Error & { code?: string }) => /gone\.wsp/.test(e.message));
  });

  it('close() ends the worker threads and fails nothing after it: the next read starts them again', async () => {
    const paths = Array.from({ length: 6 }, (_, i) => join(dir, `f${i}.wsp`));
    for (const [i, path] of paths.entries()) write(path, i);
    assert.deepEqual(await Promise.all(paths.map(lastValue)), [0, 1, 2, 3, 4, 5]);
    assert.ok(files.threadCount >= 1 && files.threadCount <= 2, `${files.threadCount} threads`);
    await files.close();
    assert.equal(files.threadCount, 0);
    assert.equal(await lastValue(paths[5]), 5, 'reads again after close');
  });
});
