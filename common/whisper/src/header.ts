/**
 * The on-disk layout (graphite-project/whisper, all fields big-endian, no padding):
 *
 *   File        = Header, Data
 *   Header      = Metadata, ArchiveInfo × archiveCount
 *   Metadata    = aggregationType:uint32, maxRetention:uint32, xFilesFactor:float32, archiveCount:uint32
 *   ArchiveInfo = offset:uint32, secondsPerPoint:uint32, points:uint32
 *   Data        = Archive × archiveCount      (archive i starts at ArchiveInfo[i].offset)
 *   Archive     = Point × points
 *   Point       = timestamp:uint32, value:float64       (timestamp 0 = empty slot)
 *
 * This module reads and checks headers and writes the metadata block.
 */
import { CorruptWhisperFileError, InvalidAggregationMethodError, InvalidXFilesFactorError } from './errors.js';
import { type FileRef, fileSize, readAt, readBuffer, readUpTo, writeAt, writeBuffer } from './io.js';
import { pyFloatRepr } from './pyfmt.js';
import type { AggregationMethod, WhisperInfo } from './types.js';

export const METADATA_SIZE = 16;
export const ARCHIVE_INFO_SIZE = 12;
export const POINT_SIZE = 12;

/** Aggregation codes as stored in the file; index = code. */
export const AGGREGATION_METHODS: readonly AggregationMethod[] = [
  'average', // placeholder for code 0, which is invalid (see aggregationType below)
  'average',
  'sum',
  'last',
  'max',
  'min',
  'avg_zero',
  'absmax',
  'absmin',
];

/** The eight method names, in code order. */
export const aggregationMethods: readonly AggregationMethod[] = AGGREGATION_METHODS.slice(1);

/** Archive as used internally: `base` caches the timestamp in slot 0 (0 = not known to be set). */
export interface ArchiveHeader {
  offset: number;
  secondsPerPoint: number;
  points: number;
  retention: number;
  size: number;
  base: number;
  /**
   * Cached propagation window (update.ts): the raw slots of this archive that make up the
   * next archive's interval starting at `winStart` (-1 = nothing cached). Kept in step with
   * every write made through the same OpenFile, so a run of single-point updates into one
   * coarser interval reads it once.
   */
  winStart: number;
  winBuf: Buffer | null;
}

export interface Header {
  aggregationType: number;
  aggregationMethod: AggregationMethod;
  maxRetention: number;
  xFilesFactor: number;
  archives: ArchiveHeader[];
  /** File size in bytes; -1 until someone needs it (see toInfo). */
  fileSize: number;
}

export interface OpenFile extends FileRef {
  header: Header;
}

/** The stored code for a method name; throws the reference's message for anything else. */
export function aggregationType(method: unknown): number {
  const i = typeof method === 'string' ? aggregationMethods.indexOf(method as AggregationMethod) : -1;
  if (i < 0) throw new InvalidAggregationMethodError(`Unrecognized aggregation method: ${String(method)}`);
  return i + 1;
}

/**
 * Validates an xFilesFactor. Divergence: NaN is rejected (the reference stores it and the
 * file becomes unreadable), and numeric strings are accepted like Python's float().
 */
export function checkXFilesFactor(xff: unknown): number {
  let x: number;
  if (typeof xff === 'number') x = xff;
  else if (typeof xff === 'string' && xff.trim() !== '' && !Number.isNaN(Number(xff))) x = Number(xff);
  else throw new InvalidXFilesFactorError(`Invalid xFilesFactor ${String(xff)}, not a float`);
  if (Number.isNaN(x)) throw new InvalidXFilesFactorError(`Invalid xFilesFactor ${String(xff)}, not a float`);
  if (x < 0 || x > 1) throw new InvalidXFilesFactorError(`Invalid xFilesFactor ${pyFloatRepr(x)}, not between 0 and 1`);
  return x;
}

function badArchive(f: FileRef, i: number, why: string): CorruptWhisperFileError {
  return new CorruptWhisperFileError(`Archive ${i} ${why}`, f.path);
}

/** Bytes read at once for the header: covers files of up to 340 archives in one read. */
const HEADER_READ = 4096;

/**
 * Reads and checks the header of an open file: one read for the header, plus a 1-byte read
 * at the end of the last archive to prove the data area is all there (cheaper than fstat,
 * which allocates a Stats object; the file size is only looked up when info() needs it).
 */
export function readHeader(f: FileRef): Header {
  const first = readBuffer(HEADER_READ);
  const got = readUpTo(f, first, HEADER_READ, 0);
  // A short read of a regular file means end of file, so then `got` is the file size.
  let size = got < HEADER_READ ? got : -1;
  if (got < METADATA_SIZE) throw new CorruptWhisperFileError('Unable to read header', f.path);
  const type = first.readUInt32BE(0);
  const maxRetention = first.readUInt32BE(4);
  const xff = first.readFloatBE(8);
  const count = first.readUInt32BE(12);
  // Same rules as the reference's __readHeader: unknown method or xff outside [0,1] (NaN included).
  if (type < 1 || type > 8 || !(xff >= 0 && xff <= 1)) throw new CorruptWhisperFileError('Unable to read header', f.path);
  if (count === 0) throw new CorruptWhisperFileError('Unable to read header: no archives', f.path);
  const headerSize = METADATA_SIZE + ARCHIVE_INFO_SIZE * count;
  let abuf = first;
  if (headerSize > got) {
    if (size < 0) size = fileSize(f);
    const available = Math.floor((size - METADATA_SIZE) / ARCHIVE_INFO_SIZE);
    if (count > available) throw new CorruptWhisperFileError(`Unable to read archive${available} metadata`, f.path);
    abuf = readBuffer(headerSize);
    readAt(f, abuf, 0, headerSize, 0, 'Unable to read archive0 metadata');
  }
  const archives: ArchiveHeader[] = [];
  let longest = 0;
  let dataEnd = headerSize;
  for (let i = 0; i < count; i++) {
    const o = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    const offset = abuf.readUInt32BE(o);
    const secondsPerPoint = abuf.readUInt32BE(o + 4);
    const points = abuf.readUInt32BE(o + 8);
    const a: ArchiveHeader = {
      offset,
      secondsPerPoint,
      points,
      retention: secondsPerPoint * points,
      size: points * POINT_SIZE,
      base: 0,
      winStart: -1,
      winBuf: null,
    };
    // Checks the reference does not make; without them a damaged header makes reads
    // and writes land outside the archive (or divide by zero).
    if (secondsPerPoint === 0 || points === 0) throw badArchive(f, i, 'has 0 seconds per point or 0 points');
    const prev = archives[i - 1];
    if (prev && (secondsPerPoint <= prev.secondsPerPoint || secondsPerPoint % prev.secondsPerPoint !== 0)) {
      throw badArchive(f, i, `precision ${secondsPerPoint}s is not a multiple of the previous archive's ${prev.secondsPerPoint}s`);
    }
    if (offset < headerSize || (prev && offset < prev.offset + prev.size)) {
      throw badArchive(f, i, `(offset ${offset}) overlaps the header or the previous archive`);
    }
    longest = Math.max(longest, a.retention);
    dataEnd = Math.max(dataEnd, offset + a.size);
    archives.push(a);
  }
  if (longest !== maxRetention) {
    throw new CorruptWhisperFileError(`Header says max retention ${maxRetention} but the archives cover ${longest} seconds`, f.path);
  }
  if (size < 0 && readUpTo(f, readBuffer(1), 1, dataEnd - 1) === 0) size = fileSize(f);
  if (size >= 0 && dataEnd > size) {
    const i = archives.findIndex((a) => a.offset + a.size > size);
    throw new CorruptWhisperFileError(
      `Archive ${i} (offset ${archives[i].offset}, ${archives[i].size} bytes) does not lie within the file's data area (${headerSize}..${size})`,
      f.path,
    );
  }
  return { aggregationType: type, aggregationMethod: AGGREGATION_METHODS[type], maxRetention, xFilesFactor: xff, archives, fileSize: size };
}

/** The public view of a header (a fresh object: callers may keep or mutate it). */
export function toInfo(f: OpenFile): WhisperInfo {
  const h = f.header;
  if (h.fileSize < 0) h.fileSize = fileSize(f);
  return {
    aggregationMethod: h.aggregationMethod,
    maxRetention: h.maxRetention,
    xFilesFactor: h.xFilesFactor,
    archives: h.archives.map((a) => ({
      offset: a.offset,
      secondsPerPoint: a.secondsPerPoint,
      points: a.points,
      retention: a.retention,
      size: a.size,
    })),
    fileSize: h.fileSize,
  };
}

/** Writes the 16-byte metadata block at offset 0. Arguments must already be validated. */
export function writeMetadata(f: FileRef, type: number, maxRetention: number, xff: number, count: number): void {
  const buf = writeBuffer(METADATA_SIZE);
  buf.writeUInt32BE(type, 0);
  buf.writeUInt32BE(maxRetention, 4);
  buf.writeFloatBE(xff, 8);
  buf.writeUInt32BE(count, 12);
  writeAt(f, buf, 0, METADATA_SIZE, 0);
}

/** Timestamp stored in slot 0 of an archive (0 = archive never written); cached once set. */
export function archiveBase(f: OpenFile, a: ArchiveHeader): number {
  if (a.base !== 0) return a.base;
  const buf = readBuffer(POINT_SIZE);
  readAt(f, buf, 0, 4, a.offset, 'Unable to read base datapoint');
  a.base = buf.readUInt32BE(0);
  return a.base;
}

/** Python's floor modulo (result has the divisor's sign; ≥ 0 here). */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}

/** Byte offset of the slot for `interval` in archive `a` whose slot 0 holds `base` (§3 of the spec). */
export function slotOffset(a: ArchiveHeader, base: number, interval: number): number {
  if (base === 0) return a.offset;
  return a.offset + floorMod(Math.floor((interval - base) / a.secondsPerPoint), a.points) * POINT_SIZE;
}
