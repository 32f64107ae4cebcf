import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import * as whisper from '../../../common/whisper/index.js';

/**
 * import-munin's fill of an existing file, killed (SIGKILL) in the middle, again and
 * again: the file must keep its own xFilesFactor (the fill's stricter propagation is an
 * option of the writes, never written into the header) and stay readable.
 */
const CHILD = fileURLToPath(new URL('./import-fill-child.ts', import.meta.url));
const NOW = 1_800_000_000;
const FILES = 6;

describe('import-munin fill killed mid-way', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('import-fill-crash');
  });
  after(async () => dir.remove());

  it('leaves every file with its own xFilesFactor and readable, whenever it is killed', async () => {
    for (let round = 0; round < 4; round++) {
      const files = Array.from({ length: FILES }, (_, i) => join(dir.dir, `r${round}-${i}.wsp`));
      // As the storage creates a new series, with its own xff: the importer fills behind it.
      for (const file of files)
        whisper.create(file, whisper.parseRetentionDefs('60:1440,300:2016,600:4608,3600:8784'), { xFilesFactor: 0.25 });
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, String(NOW), ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
      await once(createInterface({ input: child.stdout }), 'line');
      // The child fills file after file (the whole first round of fills takes longer than this).
      await new Promise((resolve) => setTimeout(resolve, 40 + round * 60));
      child.kill('SIGKILL');
      await once(child, 'exit');
      let filled = 0;
      for (const file of files) {
        assert.equal(whisper.info(file).xFilesFactor, 0.25, `${file}: xFilesFactor after the kill`);
        const day = whisper.fetch(file, NOW - 86400, NOW, { now: NOW });
        if (day?.values.some((v) => v !== null)) filled++;
      }
      assert.ok(filled < FILES, `round ${round}: the kill came before the last file was filled (${filled} filled)`);
    }
  });
});
