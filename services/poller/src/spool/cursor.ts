import { open, readFile, rename, statfs, unlink, writeFile } from 'node:fs/promises';
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
  if (!match || crc32(match[1]) !== Number(match[3]))
    return { ok: false, reason: `cursor file is damaged: ${JSON.stringify(text.slice(0, 80))}` };
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

/** Bytes available to this user on the file system of `dir`, if it can tell. */
export async function availableBytes(dir: string): Promise<number | undefined> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

export class SpoolLockedError extends Error {
  override name = 'SpoolLockedError';
}

const LOCK_FILE = 'lock';
/** Spool directories this process holds, so two Spool objects never share one. */
const heldHere = new Set<string>();

/**
 * One writer per spool directory. The lock file names its owner as `<pid> <boot id>
 * <process start time>` (Linux /proc; empty elsewhere), so a lock left by a killed process
 * is taken over even after a reboot gave its PID to another process.
 */
export async function acquireLock(dir: string): Promise<void> {
  if (heldHere.has(dir)) throw new SpoolLockedError(`spool ${dir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  const me = await processIdentity(process.pid);
  try {
    await writeFile(path, `${me}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = (await readFile(path, 'utf8')).trim();
    const pid = Number(owner.split(' ')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && owner === (await processIdentity(pid))) {
      throw new SpoolLockedError(`spool ${dir} is in use by process ${pid}`);
    }
    await writeFile(path, `${me}\n`);
  }
  heldHere.add(dir);
}

/** `<pid> <boot id> <start time>` of a live process, or '' when it does not exist. */
async function processIdentity(pid: number): Promise<string> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return '';
  }
  const bootId = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Field 22 (start time) counted after the parenthesised command name, which may hold spaces.
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  return `${pid} ${bootId.trim()} ${startTime}`.trim();
}

export async function releaseLock(dir: string, removeFile: boolean): Promise<void> {
  heldHere.delete(dir);
  if (removeFile) await unlink(join(dir, LOCK_FILE)).catch(() => {});
}
