import { CorruptWhisperFileError } from '../../../../common/whisper/index.js';

/**
 * The read side of the Whisper format for the API's asynchronous reads: a header parsed
 * from bytes already read, and the read plan of a fetch (which archive, which slots,
 * which bytes), computed the way common/whisper's synchronous `fetch` computes it, so
 * both return the same values on the same slots (test/api-whisper-files.test.ts holds
 * them against each other). Nothing here touches the disk.
 */
export const METADATA_SIZE = 16;
export const ARCHIVE_INFO_SIZE = 12;
export const POINT_SIZE = 12;
const AGGREGATION_METHODS = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'] as const;

export interface ArchiveLayout {
  offset: number;
  secondsPerPoint: number;
  points: number;
  retention: number;
}

export interface FileHeader {
  aggregationMethod: (typeof AGGREGATION_METHODS)[number];
  xFilesFactor: number;
  maxRetention: number;
  archives: ArchiveLayout[];
}

/** Bytes the header takes, from its first 16 bytes (the archive count); throws when they are not a header. */
export function headerSize(metadata: Buffer, length: number, path: string): number {
  if (length < METADATA_SIZE) throw new CorruptWhisperFileError('Unable to read header', path);
  const count = metadata.readUInt32BE(12);
  if (count === 0) throw new CorruptWhisperFileError('Unable to read header: no archives', path);
  // More archives than seconds in a day of 1-second points would be no whisper file anyone wrote.
  if (count > 1024) throw new CorruptWhisperFileError(`Unable to read header: ${count} archives`, path);
  return METADATA_SIZE + ARCHIVE_INFO_SIZE * count;
}

/** The header in `buf` (at least headerSize bytes), with the checks common/whisper's readHeader makes. */
export function parseHeader(buf: Buffer, path: string): FileHeader {
  const type = buf.readUInt32BE(0);
  const maxRetention = buf.readUInt32BE(4);
  const xFilesFactor = buf.readFloatBE(8);
  const count = buf.readUInt32BE(12);
  if (type < 1 || type > 8 || !(xFilesFactor >= 0 && xFilesFactor <= 1)) throw new CorruptWhisperFileError('Unable to read header', path);
  const archives: ArchiveLayout[] = [];
  const size = METADATA_SIZE + ARCHIVE_INFO_SIZE * count;
  for (let i = 0; i < count; i++) {
    const o = METADATA_SIZE + i * ARCHIVE_INFO_SIZE;
    const archive = {
      offset: buf.readUInt32BE(o),
      secondsPerPoint: buf.readUInt32BE(o + 4),
      points: buf.readUInt32BE(o + 8),
      retention: 0,
    };
    archive.retention = archive.secondsPerPoint * archive.points;
    const problem = archiveProblem(archive, archives[i - 1], size);
    if (problem) throw new CorruptWhisperFileError(`Archive ${i} ${problem}`, path);
    archives.push(archive);
  }
  const longest = Math.max(...archives.map((a) => a.retention));
  if (longest !== maxRetention) {
    throw new CorruptWhisperFileError(`Header says max retention ${maxRetention} but the archives cover ${longest} seconds`, path);
  }
  return { aggregationMethod: AGGREGATION_METHODS[type - 1], xFilesFactor, maxRetention, archives };
}

function archiveProblem(a: ArchiveLayout, prev: ArchiveLayout | undefined, headerBytes: number): string | null {
  if (a.secondsPerPoint === 0 || a.points === 0) return 'has 0 seconds per point or 0 points';
  if (prev && (a.secondsPerPoint <= prev.secondsPerPoint || a.secondsPerPoint % prev.secondsPerPoint !== 0)) {
    return `precision ${a.secondsPerPoint}s is not a multiple of the previous archive's ${prev.secondsPerPoint}s`;
  }
  if (a.offset < headerBytes || (prev && a.offset < prev.offset + prev.points * POINT_SIZE)) {
    return `(offset ${a.offset}) overlaps the header or the previous archive`;
  }
  return null;
}

/** What one fetch reads: slots start, start+step, … (count of them) from `archive`. */
export interface ReadPlan {
  archive: ArchiveLayout;
  start: number;
  step: number;
  count: number;
}

/**
 * Whisper's fetch rules: nothing (null) when the window is in the future or older than
 * the file; else the window clamped to the file's retention and to now, served by the
 * finest archive whose retention covers now - from; slots (from, until] on its step.
 */
export function planFetch(header: FileHeader, from: number, until: number, now: number): ReadPlan | null {
  if (from > now || from > until) return null;
  const oldest = now - header.maxRetention;
  if (until < oldest) return null;
  const clampedFrom = Math.max(from, oldest);
  const clampedUntil = Math.min(until, now);
  const archive = header.archives.find((a) => a.retention >= now - clampedFrom) ?? header.archives[header.archives.length - 1];
  const step = archive.secondsPerPoint;
  const start = clampedFrom - mod(clampedFrom, step) + step;
  let end = clampedUntil - mod(clampedUntil, step) + step;
  if (start === end) end += step;
  return { archive, start, step, count: Math.max(0, (end - start) / step) };
}

/** Index (0-based) of the plan's first slot in its archive's ring, given the timestamp in slot 0 (`base`). */
export function firstSlot(plan: ReadPlan, base: number): number {
  return mod(Math.floor((plan.start - base) / plan.archive.secondsPerPoint), plan.archive.points);
}

/**
 * Values of the plan's slots from the raw points of its archive's ring (`ring` starts at
 * slot `ringFirst`), straight into a typed array (NaN where nothing is stored): a slot
 * counts only when its stored timestamp is the expected one, as whisper's fetch does, so
 * stale slots of an older lap read as missing. `values` (plan.count long) may be a view into
 * a larger array shared by many files (the read worker's answer).
 */
export function decodeSlots(
  plan: ReadPlan,
  ring: DataView,
  ringFirst: number,
  ringSlots: number,
  base: number,
  values: Float64Array<ArrayBufferLike> = new Float64Array(plan.count),
): Float64Array<ArrayBufferLike> {
  values.fill(Number.NaN);
  if (base === 0) return values;
  const { points } = plan.archive;
  const count = Math.min(plan.count, points);
  const step = plan.step;
  let expected = plan.start;
  // The ring position of slot i walks forward from the first slot, wrapping at the archive's end.
  let at = mod(firstSlot(plan, base) - ringFirst, points);
  for (let i = 0; i < count; i++, expected += step) {
    if (at < ringSlots) {
      const p = at * POINT_SIZE;
      if (ring.getUint32(p) === expected) values[i] = ring.getFloat64(p + 4);
    }
    at = at + 1 === points ? 0 : at + 1;
  }
  return values;
}

/** Two headers with the same archives (a cached plan stays valid). */
export function sameLayout(a: FileHeader, b: FileHeader): boolean {
  return (
    a.maxRetention === b.maxRetention &&
    a.archives.length === b.archives.length &&
    a.archives.every(
      (x, i) =>
        x.offset === b.archives[i].offset && x.secondsPerPoint === b.archives[i].secondsPerPoint && x.points === b.archives[i].points,
    )
  );
}

export function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
