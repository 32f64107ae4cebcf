/** Reading points: the reference's file_fetch and __archive_fetch, on an open file. */
import { InvalidConfigurationError, InvalidTimeIntervalError } from './errors.js';
import { type ArchiveHeader, archiveBase, floorMod, type OpenFile, POINT_SIZE, slotOffset } from './header.js';
import { readAt, readBuffer } from './io.js';
import { parseRetentionDef } from './retention.js';
import type { FetchResult } from './types.js';

/**
 * Values of the slots with interval in (from - from mod step, until - until mod step]
 * (a zero-length range still returns the next slot). Returns null when the whole range is
 * in the future or older than the file's retention. The archive is the finest one whose
 * retention covers now - from, or the one with `archiveToSelect` seconds per point
 * (a number, or a precision such as "5m").
 */
export function fileFetch(
  f: OpenFile,
  fromTime: number,
  untilTime: number | undefined,
  now: number,
  archiveToSelect?: number | string,
): FetchResult | null {
  const h = f.header;
  let from = Math.trunc(fromTime);
  let until = untilTime === undefined || untilTime === null ? now : Math.trunc(untilTime);
  if (!Number.isFinite(from) || !Number.isFinite(until)) {
    throw new InvalidTimeIntervalError(`Invalid time interval: from '${fromTime}', until '${untilTime}'`, { path: f.path });
  }
  if (from > until) {
    throw new InvalidTimeIntervalError(`Invalid time interval: from time '${from}' is after until time '${until}'`, {
      path: f.path,
    });
  }
  const oldest = now - h.maxRetention;
  if (from > now) return null;
  if (until < oldest) return null;
  if (from < oldest) from = oldest;
  if (until > now) until = now;

  let archive: ArchiveHeader | undefined;
  if (archiveToSelect) {
    const spp = typeof archiveToSelect === 'number' ? archiveToSelect : parseRetentionDef(`${archiveToSelect}:1`).secondsPerPoint;
    archive = h.archives.find((a) => a.secondsPerPoint === spp);
    if (!archive) {
      throw new InvalidConfigurationError(
        `Invalid granularity: ${spp} (the file has ${h.archives.map((a) => a.secondsPerPoint).join(', ')} seconds per point)`,
        { path: f.path },
      );
    }
    // Divergence: the reference does not clamp to the chosen archive's retention and then
    // returns fewer values than (end - start) / step, misattributed. We clamp instead.
    const archiveOldest = now - archive.retention;
    if (until < archiveOldest) return null;
    if (from < archiveOldest) from = archiveOldest;
  } else {
    const diff = now - from;
    archive = h.archives.find((a) => a.retention >= diff) ?? h.archives[h.archives.length - 1];
  }
  return archiveFetch(f, archive, from, until);
}

/** The reference's __archive_fetch: no range checks beyond what the caller did. */
export function archiveFetch(f: OpenFile, a: ArchiveHeader, fromTime: number, untilTime: number): FetchResult {
  const step = a.secondsPerPoint;
  const start = fromTime - floorMod(fromTime, step) + step;
  let end = untilTime - floorMod(untilTime, step) + step;
  if (start === end) end += step;
  const base = archiveBase(f, a);
  if (base === 0 || end < start) {
    return { start, end, step, values: new Array(Math.max(0, Math.floor((end - start) / step))).fill(null) };
  }
  const fromOffset = slotOffset(a, base, start);
  const untilOffset = slotOffset(a, base, end);
  let len: number;
  let buf: Buffer;
  if (fromOffset < untilOffset) {
    len = untilOffset - fromOffset;
    buf = readBuffer(len);
    readAt(f, buf, 0, len, fromOffset);
  } else {
    const first = a.offset + a.size - fromOffset;
    len = first + (untilOffset - a.offset);
    buf = readBuffer(len);
    readAt(f, buf, 0, first, fromOffset);
    readAt(f, buf, first, len - first, a.offset);
  }
  const n = len / POINT_SIZE;
  const values: (number | null)[] = new Array(n);
  let expected = start;
  for (let i = 0; i < n; i++, expected += step) {
    const p = i * POINT_SIZE;
    values[i] = buf.readUInt32BE(p) === expected ? buf.readDoubleBE(p + 4) : null;
  }
  return { start, end, step, values };
}
