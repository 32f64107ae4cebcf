import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The commit cursor: every record with a lower sequence number is confirmed by the broker
 * (or dropped). One line `next=<seq> crc=<crc32 of "next=<seq>">`, replaced atomically
 * (write a temporary file, optionally fsync it, rename over the old one).
 */
export const CURSOR_FILE = 'cursor';

export type CursorRead = { ok: true; next: number } | { ok: false; reason: string };

export async function readCursor(dir: string): Promise<CursorRead> {
  let text: string;
  try {
    text = await readFile(join(dir, CURSOR_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, next: 0 };
    return { ok: false, reason: (error as Error).message };
  }
  const match = /^(next=(\d+)) crc=(\d+)\n?$/.exec(text);
  if (!match || crc32(match[1]) !== Number(match[3])) return { ok: false, reason: `cursor file is damaged: ${JSON.stringify(text.slice(0, 80))}` };
  return { ok: true, next: Number(match[2]) };
}

export async function writeCursor(dir: string, next: number, sync: boolean): Promise<void> {
  const line = `next=${next}`;
  const temporary = join(dir, `${CURSOR_FILE}.tmp`);
  const content = `${line} crc=${crc32(line)}\n`;
  if (sync) {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } else {
    await writeFile(temporary, content);
  }
  await rename(temporary, join(dir, CURSOR_FILE));
}

/** fsync a directory so a created, renamed or deleted entry survives power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class SpoolLockedError extends Error {
  override name = 'SpoolLockedError';
}

const LOCK_FILE = 'lock';
/** Spool directories this process holds, so two Spool objects never share one. */
const heldHere = new Set<string>();

/**
 * One writer per spool directory. The lock file holds the owner's PID; a lock whose
 * process is gone (kill -9) is taken over.
 */
export async function acquireLock(dir: string): Promise<void> {
  if (heldHere.has(dir)) throw new SpoolLockedError(`spool ${dir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  try {
    const owner = Number((await readFile(path, 'utf8')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
      throw new SpoolLockedError(`spool ${dir} is in use by process ${owner}`);
    }
  } catch (error) {
    if (error instanceof SpoolLockedError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFile(path, `${process.pid}\n`);
  heldHere.add(dir);
}

export async function releaseLock(dir: string, removeFile: boolean): Promise<void> {
  heldHere.delete(dir);
  if (removeFile) await unlink(join(dir, LOCK_FILE)).catch(() => {});
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
