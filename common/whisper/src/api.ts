/**
 * Path-based API, the reference's module-level functions: each call opens the file,
 * reads and checks its header, works on the open file (update.ts / fetch.ts) and closes
 * it. A long-running writer should use WhisperWriter (writer.ts) instead, which keeps
 * files open between calls.
 */
import * as fs from 'node:fs';
import { InvalidConfigurationError, WhisperError } from './errors.js';
import { fileFetch } from './fetch.js';
import {
  ARCHIVE_INFO_SIZE,
  aggregationType,
  checkXFilesFactor,
  METADATA_SIZE,
  type OpenFile,
  POINT_SIZE,
  readHeader,
  toInfo,
  writeMetadata,
} from './header.js';
import { closeFile, type FileRef, openFile, readAt, writeAt, writeBuffer } from './io.js';
import { fileSizeFor, sortArchives, validateArchiveList } from './retention.js';
import type { AggregationMethod, ArchiveSpec, CreateOptions, FetchResult, WhisperInfo } from './types.js';
import { fileUpdate, fileUpdateMany } from './update.js';

/** Current time in whole seconds, as the reference's int(time.time()). */
export function currentTime(): number {
  return Math.floor(Date.now() / 1000);
}

/** Opens `path`, reads its header, runs `fn`, and always closes the file. */
export function withFile<T>(path: string, flags: 'r' | 'r+', fn: (f: OpenFile) => T): T {
  const fd = openFile(path, flags);
  try {
    const ref: FileRef = { fd, path };
    return fn({ ...ref, header: readHeader(ref) });
  } finally {
    closeFile(fd);
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Creates a whisper file. Everything is validated before the file is opened, the file is
 * created exclusively (an existing file is an error, never truncated), and if anything fails
 * while writing, the partial file is removed (the reference leaves it on non-I/O errors).
 */
export function createFile(path: string, archives: ReadonlyArray<ArchiveSpec>, opts: CreateOptions = {}): void {
  validateArchiveList(archives);
  const sorted = sortArchives(archives);
  const type = aggregationType(opts.aggregationMethod ?? 'average');
  const xff = checkXFilesFactor(opts.xFilesFactor ?? 0.5);
  const size = fileSizeFor(sorted);
  const maxRetention = Math.max(...sorted.map((a) => a.secondsPerPoint * a.points));

  let fd: number;
  try {
    fd = fs.openSync(path, 'wx');
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') {
      throw new InvalidConfigurationError(`File ${path} already exists!`, { path, cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new WhisperError(`Cannot create whisper file ${path}: ${msg}`, { path, cause: e });
  }
  const f: FileRef = { fd, path };
  try {
    writeMetadata(f, type, maxRetention, xff, sorted.length);
    const headerSize = METADATA_SIZE + ARCHIVE_INFO_SIZE * sorted.length;
    const buf = writeBuffer(headerSize);
    let offset = headerSize;
    sorted.forEach((a, i) => {
      buf.writeUInt32BE(offset, i * ARCHIVE_INFO_SIZE);
      buf.writeUInt32BE(a.secondsPerPoint, i * ARCHIVE_INFO_SIZE + 4);
      buf.writeUInt32BE(a.points, i * ARCHIVE_INFO_SIZE + 8);
      offset += a.points * POINT_SIZE;
    });
    writeAt(f, buf, 0, headerSize - METADATA_SIZE, METADATA_SIZE);
    if (opts.sparse) {
      fs.ftruncateSync(fd, size);
    } else {
      for (let pos = headerSize; pos < size; pos += ZEROS.length) {
        writeAt(f, ZEROS, 0, Math.min(ZEROS.length, size - pos), pos);
      }
    }
    fs.closeSync(fd);
  } catch (e) {
    closeFile(fd);
    try {
      fs.unlinkSync(path);
    } catch {
      // Already gone: nothing left to clean up.
    }
    if (e instanceof WhisperError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new WhisperError(`Cannot create whisper file ${path}: ${msg}`, { path, cause: e });
  }
}

/** Header of a file. Divergence: a missing file throws (WhisperError, code 'ENOENT') instead of returning None. */
export function info(path: string): WhisperInfo {
  return withFile(path, 'r', (f) => toInfo(f));
}

/** Writes one point (default timestamp: now). Throws TimestampNotCoveredError outside [now - maxRetention + 1, now]. */
export function update(path: string, value: number, timestamp?: number, opts: { now?: number } = {}): void {
  const now = opts.now ?? currentTime();
  withFile(path, 'r+', (f) => fileUpdate(f, value, timestamp ?? now, now));
}

/**
 * Writes a batch of [timestamp, value] points (see fileUpdateMany for the rules).
 * `xFilesFactor` (extension): propagate into the lower archives as if the file had this
 * one, without writing it; the header on disk is never touched, so no crash can leave
 * the file with it (an importer filling archives from their own sources uses 1).
 */
export function updateMany(
  path: string,
  points: ReadonlyArray<readonly [number, number]>,
  opts: { now?: number; xFilesFactor?: number } = {},
): void {
  if (points.length === 0) return;
  const now = opts.now ?? currentTime();
  const xff = opts.xFilesFactor === undefined ? undefined : checkXFilesFactor(opts.xFilesFactor);
  withFile(path, 'r+', (f) => fileUpdateMany(xff === undefined ? f : { ...f, header: { ...f.header, xFilesFactor: xff } }, points, now));
}

export function fetch(
  path: string,
  from: number,
  until?: number,
  opts: { now?: number; archiveToSelect?: number | string } = {},
): FetchResult | null {
  const now = opts.now ?? currentTime();
  return withFile(path, 'r', (f) => fileFetch(f, from, until, now, opts.archiveToSelect));
}

/** Sets the aggregation method (and the xFilesFactor when given); returns the old method. */
export function setAggregationMethod(path: string, method: AggregationMethod, xff?: number): AggregationMethod {
  return withFile(path, 'r+', (f) => {
    const h = f.header;
    const type = aggregationType(method);
    const x = xff === undefined || xff === null ? h.xFilesFactor : checkXFilesFactor(xff);
    writeMetadata(f, type, h.maxRetention, x, h.archives.length);
    return h.aggregationMethod;
  });
}

/** Sets the xFilesFactor; returns the old one (as stored, i.e. float32 precision). */
export function setXFilesFactor(path: string, xff: number): number {
  return withFile(path, 'r+', (f) => {
    const h = f.header;
    writeMetadata(f, h.aggregationType, h.maxRetention, checkXFilesFactor(xff), h.archives.length);
    return h.xFilesFactor;
  });
}

/** Every slot of every archive, raw ([timestamp, value]; timestamp 0 = empty), with the header. */
export function dump(path: string): WhisperInfo & { data: Array<Array<[number, number]>> } {
  return withFile(path, 'r', (f) => {
    const data = f.header.archives.map((a) => {
      const buf = Buffer.allocUnsafe(a.size);
      readAt(f, buf, 0, a.size, a.offset);
      const slots: Array<[number, number]> = new Array(a.points);
      for (let i = 0; i < a.points; i++) slots[i] = [buf.readUInt32BE(i * POINT_SIZE), buf.readDoubleBE(i * POINT_SIZE + 4)];
      return slots;
    });
    return { ...toInfo(f), data };
  });
}
