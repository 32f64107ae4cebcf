import { crc32 } from 'node:zlib';

/**
 * On-disk record of the spool, little room for doubt about where one ends:
 *
 *   offset  size  field
 *   0       4     magic 'NMS1' (lets a scan find the next record after a damaged one)
 *   4       4     CRC32 (IEEE, zlib) of bytes 8 .. end of payload
 *   8       4     payload length, unsigned big-endian
 *   12      8     sequence number, unsigned big-endian, +1 per record for the spool's life
 *   20      8     append time, milliseconds since the epoch, unsigned big-endian
 *   28      n     payload: the encoded message (JSON)
 *
 * Header and payload go to disk in one write() per batch.
 */
export const RECORD_MAGIC = 0x4e4d5331;
export const HEADER_BYTES = 28;
const MAGIC_BYTES = Buffer.from([0x4e, 0x4d, 0x53, 0x31]);

export interface SpoolRecord {
  seq: number;
  /** Milliseconds since the epoch when the record was appended. */
  appendedAt: number;
  payload: Buffer;
}

export interface ScannedRecord extends SpoolRecord {
  /** Byte offset of the record in its segment, and its full size. */
  offset: number;
  size: number;
}

export function encodeRecord(seq: number, appendedAt: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(RECORD_MAGIC, 0);
  out.writeUInt32BE(payload.length, 8);
  out.writeBigUInt64BE(BigInt(seq), 12);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(appendedAt))), 20);
  payload.copy(out, HEADER_BYTES);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

/** The record at `offset` if it is whole and its CRC matches, else null. */
export function recordAt(buf: Buffer, offset: number): ScannedRecord | null {
  if (buf.length - offset < HEADER_BYTES) return null;
  if (buf.readUInt32BE(offset) !== RECORD_MAGIC) return null;
  const length = buf.readUInt32BE(offset + 8);
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return null;
  if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32BE(offset + 4)) return null;
  return {
    seq: Number(buf.readBigUInt64BE(offset + 12)),
    appendedAt: Number(buf.readBigUInt64BE(offset + 20)),
    payload: buf.subarray(offset + HEADER_BYTES, end),
    offset,
    size: HEADER_BYTES + length,
  };
}

/** Length the header at `offset` claims, when at least a header is there (for "read more" decisions). */
export function claimedRecordSize(buf: Buffer, offset: number): number | null {
  if (buf.length - offset < HEADER_BYTES || buf.readUInt32BE(offset) !== RECORD_MAGIC) return null;
  return HEADER_BYTES + buf.readUInt32BE(offset + 8);
}

export interface SegmentScan {
  records: ScannedRecord[];
  /** Damaged byte ranges a valid record follows: [from, to). */
  skips: Array<[number, number]>;
  /** Records lost inside those ranges (from the sequence gap). */
  lostInSkips: number;
  /** Where the valid data ends; bytes after it are a torn or damaged tail. */
  validEnd: number;
}

/**
 * Reads every valid record of a whole segment whose first record is `firstSeq`. After a bad record it looks for the next
 * magic that starts a valid record with a higher sequence number (CRC and sequence make a
 * false match practically impossible); if there is none, the rest is a torn tail.
 */
export function scanSegment(buf: Buffer, firstSeq: number): SegmentScan {
  const scan: SegmentScan = { records: [], skips: [], lostInSkips: 0, validEnd: 0 };
  let offset = 0;
  let lastSeq = firstSeq - 1;
  while (offset < buf.length) {
    const record = recordAt(buf, offset);
    if (record && record.seq > lastSeq) {
      scan.records.push(record);
      lastSeq = record.seq;
      offset += record.size;
      scan.validEnd = offset;
      continue;
    }
    const next = findNextRecord(buf, offset + 1, lastSeq);
    if (!next) break;
    scan.skips.push([offset, next.offset]);
    scan.lostInSkips += next.seq - lastSeq - 1;
    offset = next.offset;
  }
  return scan;
}

function findNextRecord(buf: Buffer, from: number, afterSeq: number): ScannedRecord | null {
  let at = buf.indexOf(MAGIC_BYTES, from);
  while (at >= 0) {
    const record = recordAt(buf, at);
    if (record && record.seq > afterSeq) return record;
    at = buf.indexOf(MAGIC_BYTES, at + 1);
  }
  return null;
}
