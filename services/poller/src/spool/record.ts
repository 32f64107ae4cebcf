import { crc32 } from 'node:zlib';

/**
 * On-disk record of the spool, little room for doubt about where one ends:
 *
 *   offset  size  field
 *   0       4     magic 'NMS2' ('NMS1' for records written before the route, still read)
 *   4       4     CRC32 (IEEE, zlib) of bytes 8 .. end of body
 *   8       4     body length, unsigned big-endian
 *   12      8     sequence number, unsigned big-endian, +1 per record for the spool's life
 *   20      8     append time, milliseconds since the epoch, unsigned big-endian
 *   28      n     body. NMS2: route length r (2 bytes, big-endian), the route (UTF-8
 *                 `kind\nhostId\nmessageId`), then the encoded message (JSON).
 *                 NMS1: the encoded message only.
 *
 * The route is what the forwarder needs to publish (routing key, AMQP messageId and type),
 * written once when the message was validated, so forwarding never parses the JSON again.
 * Header and body go to disk in one write() per batch.
 */
export const RECORD_MAGIC = 0x4e4d5332;
/** Records spooled by versions before the route (read, never written). */
export const RECORD_MAGIC_V1 = 0x4e4d5331;
export const HEADER_BYTES = 28;
const ROUTE_LENGTH_BYTES = 2;
/** 'NMS': the magics' common start, which a scan after damage looks for. */
const MAGIC_PREFIX = Buffer.from([0x4e, 0x4d, 0x53]);

/** What publishing a record needs besides its bytes (see routeOf in options.ts). */
export interface RecordRoute {
  kind: string;
  hostId: string;
  messageId: string;
}

export interface SpoolRecord {
  seq: number;
  /** Milliseconds since the epoch when the record was appended. */
  appendedAt: number;
  /** The encoded message (JSON), exactly the bytes published. */
  payload: Buffer;
  /** Absent for an NMS1 record: the reader then takes it from the message. */
  route?: RecordRoute;
}

export interface ScannedRecord extends SpoolRecord {
  /** Byte offset of the record in its segment, and its full size. */
  offset: number;
  size: number;
}

export class RecordRouteError extends Error {
  override name = 'RecordRouteError';
}

/** An NMS2 record of `payload` (an encoded message) published with `route`. */
export function encodeRecord(seq: number, appendedAt: number, payload: Buffer, route: RecordRoute): Buffer {
  const routeText = `${route.kind}\n${route.hostId}\n${route.messageId}`;
  const routeBytes = Buffer.byteLength(routeText);
  if (routeBytes > 0xffff || routeText.split('\n').length !== 3) throw new RecordRouteError(`route of record ${seq} cannot be framed`);
  const bodyStart = HEADER_BYTES + ROUTE_LENGTH_BYTES + routeBytes;
  const out = Buffer.allocUnsafe(bodyStart + payload.length);
  out.writeUInt16BE(routeBytes, HEADER_BYTES);
  out.write(routeText, HEADER_BYTES + ROUTE_LENGTH_BYTES, 'utf8');
  payload.copy(out, bodyStart);
  return sealRecord(out, RECORD_MAGIC, seq, appendedAt);
}

/** An NMS1 record, as versions before the route wrote them (tests of the upgrade path). */
export function encodeRecordV1(seq: number, appendedAt: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  payload.copy(out, HEADER_BYTES);
  return sealRecord(out, RECORD_MAGIC_V1, seq, appendedAt);
}

/** Fills in the header of `out`, whose body is written. */
function sealRecord(out: Buffer, magic: number, seq: number, appendedAt: number): Buffer {
  out.writeUInt32BE(magic, 0);
  out.writeUInt32BE(out.length - HEADER_BYTES, 8);
  out.writeBigUInt64BE(BigInt(seq), 12);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(appendedAt))), 20);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

function magicAt(buf: Buffer, offset: number): number | null {
  const magic = buf.readUInt32BE(offset);
  return magic === RECORD_MAGIC || magic === RECORD_MAGIC_V1 ? magic : null;
}

/** The record at `offset` if it is whole and its CRC matches, else null. */
export function recordAt(buf: Buffer, offset: number): ScannedRecord | null {
  if (buf.length - offset < HEADER_BYTES) return null;
  const magic = magicAt(buf, offset);
  if (magic === null) return null;
  const length = buf.readUInt32BE(offset + 8);
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return null;
  if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32BE(offset + 4)) return null;
  const record: ScannedRecord = {
    seq: Number(buf.readBigUInt64BE(offset + 12)),
    appendedAt: Number(buf.readBigUInt64BE(offset + 20)),
    payload: buf.subarray(offset + HEADER_BYTES, end),
    offset,
    size: HEADER_BYTES + length,
  };
  return magic === RECORD_MAGIC ? withRoute(record) : record;
}

/** Splits an NMS2 body into route and message; null when the route does not fit (damage the CRC missed cannot pass). */
function withRoute(record: ScannedRecord): ScannedRecord | null {
  const body = record.payload;
  if (body.length < ROUTE_LENGTH_BYTES) return null;
  const routeEnd = ROUTE_LENGTH_BYTES + body.readUInt16BE(0);
  if (routeEnd > body.length) return null;
  const fields = body.toString('utf8', ROUTE_LENGTH_BYTES, routeEnd).split('\n');
  if (fields.length !== 3) return null;
  record.route = { kind: fields[0], hostId: fields[1], messageId: fields[2] };
  record.payload = body.subarray(routeEnd);
  return record;
}

/** Length the header at `offset` claims, when at least a header is there (for "read more" decisions). */
export function claimedRecordSize(buf: Buffer, offset: number): number | null {
  if (buf.length - offset < HEADER_BYTES || magicAt(buf, offset) === null) return null;
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
  let at = buf.indexOf(MAGIC_PREFIX, from);
  while (at >= 0) {
    const record = recordAt(buf, at);
    if (record && record.seq > afterSeq) return record;
    at = buf.indexOf(MAGIC_PREFIX, at + 1);
  }
  return null;
}
