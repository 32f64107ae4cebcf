/**
 * Ring-buffer I/O on one archive (reads and writes that wrap at the archive's end), and the
 * propagation-window cache that lets consecutive single-point updates skip re-reading the
 * finer archive's window (see ArchiveHeader.winStart).
 */
import { type ArchiveHeader, floorMod, type OpenFile, POINT_SIZE, slotOffset } from './header.js';
import { readAt, writeAt } from './io.js';

/** Keeps a cached window in step with a 12-byte point just written at byte offset `off`. */
export function notePoint(a: ArchiveHeader, base: number, off: number, point: Buffer): void {
  if (a.winStart < 0 || a.winBuf === null) return;
  const first = (slotOffset(a, base, a.winStart) - a.offset) / POINT_SIZE;
  const i = floorMod((off - a.offset) / POINT_SIZE - first, a.points);
  if (i * POINT_SIZE < a.winBuf.length) point.copy(a.winBuf, i * POINT_SIZE, 0, POINT_SIZE);
}

/** Forgets a cached window after a bulk write to the archive. */
export function dropWindow(a: ArchiveHeader): void {
  a.winStart = -1;
}

/** Reads `n` points of archive `a` starting at byte offset `off`, wrapping at the archive's end. */
export function readRing(f: OpenFile, a: ArchiveHeader, off: number, n: number, buf: Buffer): void {
  const len = n * POINT_SIZE;
  const first = Math.min(len, a.offset + a.size - off);
  readAt(f, buf, 0, first, off);
  if (first < len) readAt(f, buf, first, len - first, a.offset);
}

export function writeRing(f: OpenFile, a: ArchiveHeader, off: number, buf: Buffer, len: number): void {
  const first = Math.min(len, a.offset + a.size - off);
  writeAt(f, buf, 0, first, off);
  if (first < len) writeAt(f, buf, first, len - first, a.offset);
}
