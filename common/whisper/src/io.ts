/**
 * Positioned synchronous I/O on file descriptors, with module-level scratch buffers
 * reused across calls. Everything in this library is synchronous, so a single shared
 * buffer per role is safe (no call can interleave with another) and the hot path
 * allocates nothing. Short reads mean the file is shorter than its header says:
 * they raise CorruptWhisperFileError naming the file.
 */
import * as fs from 'node:fs';
import { CorruptWhisperFileError, WhisperError } from './errors.js';

/** An open whisper file: what every file-level operation works on. */
export interface FileRef {
  fd: number;
  path: string;
}

let readScratch = Buffer.allocUnsafe(64 * 1024);
let writeScratch = Buffer.allocUnsafe(64 * 1024);

/** A scratch buffer for reads, at least `n` bytes; valid until the next call. */
export function readBuffer(n: number): Buffer {
  if (readScratch.length < n) readScratch = Buffer.allocUnsafe(Math.max(n, readScratch.length * 2));
  return readScratch;
}

/** A scratch buffer for building writes, at least `n` bytes; valid until the next call. */
export function writeBuffer(n: number): Buffer {
  if (writeScratch.length < n) writeScratch = Buffer.allocUnsafe(Math.max(n, writeScratch.length * 2));
  return writeScratch;
}

function ioError(op: string, f: FileRef, e: unknown): WhisperError {
  const msg = e instanceof Error ? e.message : String(e);
  return new WhisperError(`Cannot ${op} whisper file ${f.path}: ${msg}`, { path: f.path, cause: e });
}

/** Reads exactly `len` bytes at `pos` into `buf[off..]`, or throws CorruptWhisperFileError(`what`). */
export function readAt(f: FileRef, buf: Buffer, off: number, len: number, pos: number, what = 'Unable to read datapoints'): void {
  let done = 0;
  while (done < len) {
    let n: number;
    try {
      n = fs.readSync(f.fd, buf, off + done, len - done, pos + done);
    } catch (e) {
      throw ioError('read', f, e);
    }
    if (n === 0) throw new CorruptWhisperFileError(what, f.path);
    done += n;
  }
}

/** Reads up to `len` bytes at `pos` into `buf[0..]`; returns how many there were (fewer only at end of file). */
export function readUpTo(f: FileRef, buf: Buffer, len: number, pos: number): number {
  let done = 0;
  while (done < len) {
    let n: number;
    try {
      n = fs.readSync(f.fd, buf, done, len - done, pos + done);
    } catch (e) {
      throw ioError('read', f, e);
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes `len` bytes of `buf[off..]` at `pos`. */
export function writeAt(f: FileRef, buf: Buffer, off: number, len: number, pos: number): void {
  let done = 0;
  while (done < len) {
    try {
      done += fs.writeSync(f.fd, buf, off + done, len - done, pos + done);
    } catch (e) {
      throw ioError('write', f, e);
    }
  }
}

/** Opens a file, turning the system error into a WhisperError that names the file and keeps `code`. */
export function openFile(path: string, flags: 'r' | 'r+'): number {
  try {
    return fs.openSync(path, flags);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new WhisperError(`Cannot open whisper file ${path}: ${msg}`, { path, cause: e });
  }
}

export function closeFile(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Closing a descriptor we opened only fails if it is already closed; nothing to do.
  }
}

export function fileSize(f: FileRef): number {
  try {
    return fs.fstatSync(f.fd).size;
  } catch (e) {
    throw ioError('stat', f, e);
  }
}
