/**
 * The API reader keeps file handles open between reads (whisper-files.ts): a file rewritten
 * in place is read as it is now, a file replaced by a rename or removed is never read
 * through the old handle, and the handles kept stay within their bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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

describe('storage API: kept whisper handles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'numeter-wsp-handles-'));
  const files = new WhisperFiles({ parallel: 4, cachedHandles: 3 });
  after(async () => {
    await files.close();
    rmSync(dir, { recursive: true, force: true });
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
    assert.equal(await lastValue(path), 7, 'in-place update seen through the kept handle');
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

  it('keeps at most cachedHandles open, and close() closes them', async () => {
    for (let i = 0; i < 6; i++) {
      const path = join(dir, `f${i}.wsp`);
      write(path, i);
      await files.header(path);
      assert.equal(await lastValue(path), i);
    }
    assert.ok(files.openHandles <= 3, `${files.openHandles} handles kept`);
    assert.equal(files.openFiles, 0, 'no read in flight');
    await files.close();
    assert.equal(files.openHandles, 0);
    assert.equal(await lastValue(join(dir, 'f5.wsp')), 5, 'reads again after close');
  });
});
