import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Spool, SpoolLockedError } from '../src/spool/index.js';
import { numberOf, readAll, tempDir } from './spool-fixtures.js';

const child = fileURLToPath(new URL('./spool-kill-child.ts', import.meta.url));
/** Where `--import tsx` resolves from. */
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs the appending child, SIGKILLs it once it reported `killAfter` ids; returns the last id it reported. */
async function appendThenKill(dir: string, fsync: string, killAfter: number): Promise<number> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, fsync], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repoRoot });
  let lastReported = -1;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: proc.stdout })) {
    const match = /^appended (\d+)$/.exec(line);
    if (!match) continue;
    if (lastReported < killAfter && Number(match[1]) >= killAfter) {
      proc.kill('SIGKILL'); // lands wherever the child is
    } else if (lastReported === -1) {
      // While the child lives, its lock keeps any other process out.
      await assert.rejects(new Spool({ dir, fsync: 'never' }).start(), SpoolLockedError);
    }
    lastReported = Number(match[1]);
  }
  assert.equal(await exited, 'SIGKILL');
  return lastReported;
}

describe('spool survives kill -9 of its writer', () => {
  for (const [fsync, killAfter] of [
    ['never', 60],
    ['always', 30],
  ] as const) {
    it(`keeps every append reported before the kill (fsync ${fsync})`, async () => {
      const temp = await tempDir('kill');
      try {
        const lastReported = await appendThenKill(temp.dir, fsync, killAfter);
        assert.ok(lastReported >= killAfter, `the child appended only ${lastReported + 1} messages before the kill`);
        const spool = new Spool({ dir: temp.dir, fsync: 'never', segmentBytes: 1 << 20, maxBytes: 1 << 30 });
        await spool.start(); // takes over the dead child's lock
        const ids = (await readAll(spool, 50)).map(numberOf);
        const { corrupt } = spool.stats();
        await spool.stop();
        // Everything reported is there, in order, without gaps; at most one batch more (written, not yet reported).
        assert.ok(ids.length >= lastReported + 1, `${ids.length} records survived, ${lastReported + 1} were reported`);
        assert.deepEqual(
          ids,
          Array.from({ length: ids.length }, (_, i) => i),
        );
        assert.ok(ids.length <= lastReported + 1 + 3);
        assert.ok(corrupt <= 1, `${corrupt} corrupt records: only a torn tail may be`);
        const again = new Spool({ dir: temp.dir, fsync: 'never', segmentBytes: 1 << 20, maxBytes: 1 << 30 });
        await again.start();
        assert.equal(again.stats().corrupt, 0, 'the torn tail was truncated on the first start');
        assert.equal(again.stats().records, ids.length);
        await again.stop();
      } finally {
        await temp.remove();
      }
    });
  }
});
