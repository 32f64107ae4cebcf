import { open, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { claimedRecordSize, HEADER_BYTES, recordAt, type ScannedRecord, scanSegment } from './record.js';

const SEGMENT_NAME = /^(\d{16})\.seg$/;

export function segmentFileName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.seg`;
}

/** What the spool keeps in memory about one segment file. */
export interface SegmentMeta {
  firstSeq: number;
  path: string;
  /** Bytes of valid data (the file is never longer once scanned). */
  bytes: number;
  /** Valid records in it. */
  count: number;
  /** Sequence of its last record; firstSeq - 1 while empty. */
  lastSeq: number;
  /** [first sequence, append time ms] of each run of records appended at the same time. */
  batches: Array<[number, number]>;
  /** Damaged ranges found by the start-up scan, skipped by readers. */
  skips: Array<[number, number]>;
}

export function emptySegment(dir: string, firstSeq: number): SegmentMeta {
  return { firstSeq, path: join(dir, segmentFileName(firstSeq)), bytes: 0, count: 0, lastSeq: firstSeq - 1, batches: [], skips: [] };
}

export function segmentFirstTime(meta: SegmentMeta): number | undefined {
  return meta.batches[0]?.[1];
}

export function segmentLastTime(meta: SegmentMeta): number | undefined {
  return meta.batches[meta.batches.length - 1]?.[1];
}

/** Append time of record `seq` of the segment (the run it belongs to). */
export function timeOfSeq(meta: SegmentMeta, seq: number): number | undefined {
  let time: number | undefined;
  for (const [first, at] of meta.batches) {
    if (first > seq) break;
    time = at;
  }
  return time;
}

export function noteAppended(meta: SegmentMeta, seq: number, appendedAt: number, size: number): void {
  const last = meta.batches[meta.batches.length - 1];
  if (!last || last[1] !== appendedAt) meta.batches.push([seq, appendedAt]);
  meta.bytes += size;
  meta.count++;
  meta.lastSeq = seq;
}

/** Segment first sequences present in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  return names
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((seq): seq is string => seq !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

export interface RecoveredSegment {
  meta: SegmentMeta;
  /** Records lost to damage: inside skipped ranges, plus one for a damaged tail. */
  corrupt: number;
  truncatedBytes: number;
}

/**
 * Scans a segment file, truncates a torn or damaged tail, and returns its metadata.
 * `nextFirstSeq` (the next segment's first record, if any) makes the count of records lost
 * in a damaged tail exact; for the newest segment a torn tail counts as one record.
 */
export async function recoverSegment(dir: string, firstSeq: number, nextFirstSeq?: number): Promise<RecoveredSegment> {
  const meta = emptySegment(dir, firstSeq);
  const buf = await readFile(meta.path);
  const scan = scanSegment(buf, firstSeq);
  for (const record of scan.records) noteAppended(meta, record.seq, record.appendedAt, record.size);
  meta.bytes = scan.validEnd;
  meta.skips = scan.skips;
  const truncatedBytes = buf.length - scan.validEnd;
  if (truncatedBytes > 0) await truncate(meta.path, scan.validEnd);
  let lostInTail = 0;
  if (truncatedBytes > 0) lostInTail = nextFirstSeq === undefined ? 1 : Math.max(0, nextFirstSeq - meta.lastSeq - 1);
  return { meta, corrupt: scan.lostInSkips + lostInTail, truncatedBytes };
}

export interface ReadResult {
  records: ScannedRecord[];
  /** Offset after the last returned record (or after skipped damage). */
  nextOffset: number;
  /** True when damage not known at start-up stopped the read: the rest of the segment is unreadable. */
  damaged: boolean;
}

/**
 * Reads whole records from `offset` up to the segment's valid end, at most `maxRecords`
 * and about `chunkBytes` (always at least one record, however large).
 */
export async function readSegment(meta: SegmentMeta, offset: number, maxRecords: number, chunkBytes: number): Promise<ReadResult> {
  const result: ReadResult = { records: [], nextOffset: offset, damaged: false };
  const position = skipDamage(meta, offset);
  result.nextOffset = position;
  if (position >= meta.bytes || maxRecords <= 0) return result;
  const handle = await open(meta.path, 'r');
  try {
    let want = Math.min(chunkBytes, meta.bytes - position);
    let buf = await readAt(handle, position, want);
    const needed = claimedRecordSize(buf, 0);
    if (needed !== null && needed > buf.length && position + needed <= meta.bytes) {
      want = needed;
      buf = await readAt(handle, position, want);
    }
    let at = 0;
    while (result.records.length < maxRecords && position + at < meta.bytes) {
      const skipped = skipDamage(meta, position + at);
      if (skipped !== position + at) {
        result.nextOffset = skipped;
        break; // the next read starts after the damage
      }
      const record = recordAt(buf, at);
      if (!record) {
        // A record cut by the end of this chunk is read whole next time; anything else is damage.
        const claimed = claimedRecordSize(buf, at);
        const cutByChunk = at > 0 && (buf.length - at < HEADER_BYTES || (claimed !== null && buf.length - at < claimed));
        if (!cutByChunk) {
          result.damaged = true;
          result.nextOffset = meta.bytes;
        }
        break;
      }
      result.records.push({ ...record, offset: position + at });
      at += record.size;
      result.nextOffset = position + at;
    }
  } finally {
    await handle.close();
  }
  return result;
}

function skipDamage(meta: SegmentMeta, offset: number): number {
  for (const [from, to] of meta.skips) if (offset >= from && offset < to) return to;
  return offset;
}

async function readAt(handle: import('node:fs/promises').FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await handle.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

export function totalBytes(segments: SegmentMeta[]): number {
  return segments.reduce((sum, s) => sum + s.bytes, 0);
}

/** Records at or after `cursor` (sequence numbers are contiguous within a segment). */
export function unconfirmedRecords(segments: SegmentMeta[], cursor: number): number {
  let records = 0;
  for (const s of segments) {
    if (s.lastSeq < cursor) continue;
    records += s.firstSeq >= cursor ? s.count : s.lastSeq - cursor + 1;
  }
  return records;
}

/** Append time of the first record at or after `cursor`. */
export function oldestUnconfirmedTime(segments: SegmentMeta[], cursor: number): number | undefined {
  const segment = segments.find((s) => s.lastSeq >= cursor && s.count > 0);
  return segment && timeOfSeq(segment, Math.max(cursor, segment.firstSeq));
}
