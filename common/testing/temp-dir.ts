import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  dir: string;
  remove(): Promise<void>;
}

/** A fresh directory `numeter-<prefix>-XXXXXX` under the system's temp dir; the test removes it. */
export async function tempDir(prefix: string): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), `numeter-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
