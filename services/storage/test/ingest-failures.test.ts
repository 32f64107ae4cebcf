/**
 * How a failed message is answered: refusals that would repeat are dead-lettered at once,
 * the service's own trouble is requeued without limit, anything else is requeued and
 * counted (the consumer's max_requeues). The errors are the ones the storage's parts throw.
 */
import assert from 'node:assert/strict';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CorruptWhisperFileError, WhisperError } from '../../../common/whisper/index.js';
import { CacheStoppedError } from '../src/cache/write-cache.js';
import { UnsafePathError } from '../src/files/layout.js';
import { IndexError } from '../src/index/index-writer.js';
import { asRefusal, requeueFor } from '../src/ingest/failures.js';
import { tempDir } from './ingest-fixtures.js';

/** The error a real system call gives, wrapped as the whisper library wraps it. */
function systemError(path: string): WhisperError {
  try {
    openSync(path, 'r+');
  } catch (error) {
    return new WhisperError(`Cannot open ${path}`, { path, cause: error });
  }
  throw new Error(`${path} opened`);
}

describe('failure classes', () => {
  test('paths the file system refuses on every try are refusals (unwritable), named by their errno', async () => {
    const dir = await tempDir('failures');
    try {
      const tooLong = asRefusal(systemError(join(dir.dir, `${'€'.repeat(90)}.wsp`)));
      assert.equal(tooLong?.kind, 'unwritable');
      assert.match(tooLong?.message ?? '', /^the file system refuses it \(ENAMETOOLONG\): Cannot open /);
      assert.equal(asRefusal(systemError(dir.dir))?.kind, 'unwritable', 'EISDIR');
      assert.equal(asRefusal(new UnsafePathError('path leaves wsp_path'))?.kind, 'unsafe-name');
      assert.equal(asRefusal(new CorruptWhisperFileError('bad header', '/x.wsp'))?.kind, 'corrupt-file');
    } finally {
      await dir.remove();
    }
  });

  test("the service's own trouble is requeued without limit; it is never a refusal", () => {
    const enospc = new WhisperError('write failed', { cause: Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) });
    const service = [
      new IndexError('Redis index update failed: Connection is closed.'),
      new CacheStoppedError('the write cache is stopping'),
      enospc,
      new Error('Connection is closed.'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
    ];
    for (const error of service) {
      assert.equal(asRefusal(error), null, error.message);
      assert.deepEqual(requeueFor(error), { action: 'requeue', reason: error.message, unbounded: true }, error.message);
    }
  });

  test('anything else is requeued and counted toward max_requeues, with its reason', () => {
    const eacces = new WhisperError('Cannot open /x.wsp', { cause: Object.assign(new Error('permission denied'), { code: 'EACCES' }) });
    for (const error of [eacces, new Error('something unforeseen')]) {
      assert.equal(asRefusal(error), null);
      assert.deepEqual(requeueFor(error), { action: 'requeue', reason: error.message, unbounded: false });
    }
  });
});
