import { closeSync, openSync, readSync } from 'node:fs';
import { CorruptWhisperFileError, WhisperError } from '../../../../common/whisper/index.js';
import {
  decodeSlots,
  type FileHeader,
  firstSlot,
  headerSize,
  POINT_SIZE,
  parseHeader,
  planFetch,
  type ReadPlan,
} from './whisper-header.js';

/**
 * One whisper file read synchronously: open, one read of its first bytes (the header and,
 * for the usual recent window, the whole first archive), a second read only when the plan's
 * slots lie further, close. Only the read worker (read-worker.ts) calls this, so the
 * blocking system calls never hold the API's event loop; opening the path on every read
 * means a file replaced by a rename or removed is never read through an old descriptor.
 * The plan follows whisper-header.ts, so the values are common/whisper's fetch's.
 */
const FIRST_READ = 32 * 1024;

export interface SlotsRead {
  header: FileHeader;
  /** null: nothing stored in the window (older than the file, or in the future). */
  plan: ReadPlan | null;
}

/** Scratch memory of one reader (a worker's): the first read's bytes and the values decoded. */
export class ReadScratch {
  bytes = Buffer.allocUnsafe(FIRST_READ);
  values = new Float64Array(64 * 1024);
  used = 0;

  /** Room for `count` more values; the values written so far are kept. */
  reserve(count: number): Float64Array {
    if (this.used + count > this.values.length) {
      const grown = new Float64Array(Math.max(this.values.length * 2, this.used + count));
      grown.set(this.values.subarray(0, this.used));
      this.values = grown;
    }
    const out = this.values.subarray(this.used, this.used + count);
    this.used += count;
    return out;
  }

  bytesOf(size: number): Buffer {
    if (this.bytes.length < size) this.bytes = Buffer.allocUnsafe(size);
    return this.bytes;
  }
}

/** The header only (headerOnly) or the header and the window's values, appended to scratch.values. */
export function readFileSlots(path: string, window: { from: number; until: number; now: number } | null, scratch: ReadScratch): SlotsRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new WhisperError(`Cannot open whisper file ${path}: ${(error as Error).message}`, { path, cause: error });
  }
  try {
    const first = scratch.bytesOf(FIRST_READ);
    const got = readFully(fd, first, 0, FIRST_READ, path);
    const size = headerSize(first, got, path);
    let header: FileHeader;
    if (size <= got) header = parseHeader(first, path);
    else {
      const whole = Buffer.allocUnsafe(size);
      if (readFully(fd, whole, 0, size, path) < size) throw new CorruptWhisperFileError('Unable to read archive metadata', path);
      header = parseHeader(whole, path);
    }
    if (window === null) return { header, plan: null };
    const plan = planFetch(header, window.from, window.until, window.now);
    if (plan !== null) decodeInto(fd, plan, first, got, path, scratch);
    return { header, plan };
  } finally {
    closeSync(fd);
  }
}

/** Reading a whole archive costs one read; for a few slots of a long one, two small reads are cheaper. */
function worthWholeArchive(plan: ReadPlan): boolean {
  return plan.count * 4 >= plan.archive.points;
}

/** The plan's values into scratch: from the first read's bytes when they hold the archive, else read. */
function decodeInto(fd: number, plan: ReadPlan, first: Buffer, got: number, path: string, scratch: ReadScratch): void {
  const { archive } = plan;
  const ringBytes = archive.points * POINT_SIZE;
  if (worthWholeArchive(plan)) {
    let ring: DataView;
    if (archive.offset + ringBytes <= got) ring = new DataView(first.buffer, first.byteOffset + archive.offset, ringBytes);
    else ring = readExactly(fd, Buffer.allocUnsafe(ringBytes), archive.offset, path);
    const out = scratch.reserve(plan.count);
    decodeSlots(plan, ring, 0, archive.points, ring.getUint32(0), out);
    return;
  }
  const base =
    archive.offset + 4 <= got
      ? first.readUInt32BE(archive.offset)
      : readExactly(fd, Buffer.allocUnsafe(4), archive.offset, path).getUint32(0);
  const out = scratch.reserve(plan.count);
  if (base === 0) {
    decodeSlots(plan, new DataView(new ArrayBuffer(0)), 0, 0, 0, out);
    return;
  }
  const start = firstSlot(plan, base);
  const count = Math.min(plan.count, archive.points);
  const inFirstLap = Math.min(count, archive.points - start);
  const buf = Buffer.allocUnsafe(count * POINT_SIZE);
  readExactly(fd, buf.subarray(0, inFirstLap * POINT_SIZE), archive.offset + start * POINT_SIZE, path);
  if (inFirstLap < count) readExactly(fd, buf.subarray(inFirstLap * POINT_SIZE), archive.offset, path);
  decodeSlots(plan, new DataView(buf.buffer, buf.byteOffset, buf.length), start, count, base, out);
}

function readExactly(fd: number, buf: Buffer, position: number, path: string): DataView {
  if (readFully(fd, buf, position, buf.length, path) < buf.length) throw new CorruptWhisperFileError('Unable to read datapoints', path);
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
function readFully(fd: number, buf: Buffer, position: number, length: number, path: string): number {
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      bytesRead = readSync(fd, buf, done, length - done, position + done);
    } catch (error) {
      throw new WhisperError(`Cannot read whisper file ${path}: ${(error as Error).message}`, { path, cause: error });
    }
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
