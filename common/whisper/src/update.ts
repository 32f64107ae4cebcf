/**
 * Writing points: the reference's file_update (one point), file_update_many (a batch),
 * __archive_update_many and __propagate, on an already open file.
 *
 * Throughput notes (why the code looks like this):
 * - all per-call working arrays are module-level typed arrays that only grow, and
 *   buffers come from io.ts, so a call allocates nothing per point;
 * - the archive base (timestamp of slot 0) is cached in the header once non-zero,
 *   because whisper never moves it;
 * - for each propagation level, the higher archive's windows of all affected lower
 *   intervals are read with one (or, across the ring's end, two) reads, and contiguous
 *   lower points are written with one write;
 * - a single-interval propagation keeps its window in memory (ring.ts), updated by every
 *   write made through the same open file, so the next point of that interval reads nothing.
 * The written bytes are the reference's: the order-dependent cases (the base slot of an
 * empty lower archive, a batch wider than the lower ring) follow CPython's set order.
 */
import { aggregateWindow } from './aggregate.js';
import { TimestampNotCoveredError, WhisperError } from './errors.js';
import { type ArchiveHeader, archiveBase, floorMod, type OpenFile, POINT_SIZE, slotOffset } from './header.js';
import { readBuffer, writeAt, writeBuffer } from './io.js';
import { UINT32_MAX } from './retention.js';
import { dropWindow, notePoint, readRing, writeRing } from './ring.js';
import { cpythonSetOrder } from './setorder.js';

// ---- reusable working storage -------------------------------------------------------
let cap = 0;
let inTs = new Float64Array(0); // validated input timestamps, input order
let inVal = new Float64Array(0);
let order = new Int32Array(0); // indices of kept points, sorted
let sTs = new Float64Array(0); // kept points, chronological (ties: later input first)
let sVal = new Float64Array(0);
let dIv = new Float64Array(0); // deduplicated aligned intervals of one archive's batch
let dVal = new Float64Array(0);
let runFirst = new Int32Array(0);
let runLen = new Int32Array(0);
let runStart = new Float64Array(0);
let lvl = new Float64Array(0); // distinct lower intervals, ascending
let lvlOrder = new Float64Array(0);
let resOk = new Uint8Array(0);
let resVal = new Float64Array(0);

function ensureCapacity(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, cap * 2, 64);
  inTs = new Float64Array(cap);
  inVal = new Float64Array(cap);
  order = new Int32Array(cap);
  sTs = new Float64Array(cap);
  sVal = new Float64Array(cap);
  dIv = new Float64Array(cap);
  dVal = new Float64Array(cap);
  runFirst = new Int32Array(cap);
  runLen = new Int32Array(cap);
  runStart = new Float64Array(cap);
  lvl = new Float64Array(cap);
  lvlOrder = new Float64Array(cap);
  resOk = new Uint8Array(cap);
  resVal = new Float64Array(cap);
}

let winCap = 0;
let winKnown = new Float64Array(0);
let winAll = new Float64Array(0);
let winPresent = new Uint8Array(0);

function ensureWindow(n: number): void {
  if (n <= winCap) return;
  winCap = Math.max(n, winCap * 2, 64);
  winKnown = new Float64Array(winCap);
  winAll = new Float64Array(winCap);
  winPresent = new Uint8Array(winCap);
}

// Stable "newest first" of the reference, reversed: ascending time, equal times in reverse input order.
const byTimeThenLaterInputFirst = (a: number, b: number): number => inTs[a] - inTs[b] || b - a;

// ---- single point (reference: file_update) ------------------------------------------

/** One point; raises TimestampNotCoveredError when its age is not in [0, maxRetention). */
export function fileUpdate(f: OpenFile, value: number, timestamp: number, now: number): void {
  const h = f.header;
  const ts = Math.trunc(timestamp);
  const age = now - ts;
  if (!(age < h.maxRetention && age >= 0)) {
    throw new TimestampNotCoveredError(
      `Timestamp not covered by any archives in this database. (timestamp ${timestamp}, now ${now}, ` +
        `accepted: ${now - h.maxRetention + 1}..${now})`,
      { path: f.path },
    );
  }
  if (ts < 0) throw unrepresentable(f, ts);
  let ai = 0;
  while (h.archives[ai].retention < age) ai++;
  const a = h.archives[ai];
  writePoint(f, a, ts - floorMod(ts, a.secondsPerPoint), Number(value));
  ensureCapacity(1);
  sTs[0] = ts;
  propagateFrom(f, ai, 0, 1);
}

function unrepresentable(f: OpenFile, ts: number): TimestampNotCoveredError {
  return new TimestampNotCoveredError(`Timestamp ${ts} cannot be stored: the format holds 0..${UINT32_MAX}`, {
    path: f.path,
  });
}

function writePoint(f: OpenFile, a: ArchiveHeader, interval: number, value: number): void {
  const buf = writeBuffer(POINT_SIZE);
  buf.writeUInt32BE(interval, 0);
  buf.writeDoubleBE(value, 4);
  const base = archiveBase(f, a);
  const off = slotOffset(a, base, interval);
  writeAt(f, buf, 0, POINT_SIZE, off);
  if (base === 0) a.base = interval;
  else notePoint(a, base, off, buf);
}

// ---- batch (reference: file_update_many) --------------------------------------------

/**
 * Writes a batch; returns how many points were accepted. Points older than maxRetention
 * are dropped silently (as the reference does). Divergence: a point in the future, with a
 * non-finite timestamp, or outside the format's range makes the whole call throw before
 * anything is written (the reference writes future points and can corrupt the next archive).
 */
export function fileUpdateMany(f: OpenFile, points: ReadonlyArray<readonly [number, number]>, now: number): number {
  const n = points.length;
  if (n === 0) return 0;
  ensureCapacity(n);
  const h = f.header;
  let kept = 0;
  let sorted = true;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    const ts = Math.trunc(p[0]);
    if (!Number.isFinite(ts)) {
      throw new TimestampNotCoveredError(`Invalid timestamp ${String(p[0])} at index ${i}`, { path: f.path });
    }
    if (ts > now) {
      throw new TimestampNotCoveredError(
        `Timestamp ${ts} at index ${i} is in the future (now ${now}); future points are rejected ` +
          'because the reference can write them past the end of the archive',
        { path: f.path },
      );
    }
    if (now - ts > h.maxRetention) continue; // dropped, like the reference
    if (ts < 0) throw unrepresentable(f, ts);
    inTs[kept] = ts;
    inVal[kept] = Number(p[1]);
    order[kept] = kept;
    if (ts <= prev) sorted = false;
    prev = ts;
    kept++;
  }
  if (kept === 0) return 0;
  if (!sorted) order.subarray(0, kept).sort(byTimeThenLaterInputFirst);
  for (let k = 0; k < kept; k++) {
    sTs[k] = inTs[order[k]];
    sVal[k] = inVal[order[k]];
  }
  // The reference walks newest to oldest and gives each point to the first archive whose
  // retention covers its age; each archive's share is written and propagated before the next.
  let hi = kept;
  let ai = 0;
  while (hi > 0) {
    while (h.archives[ai].retention < now - sTs[hi - 1]) ai++;
    const retention = h.archives[ai].retention;
    let lo = hi;
    while (lo > 0 && now - sTs[lo - 1] <= retention) lo--;
    archiveUpdateMany(f, ai, lo, hi);
    hi = lo;
  }
  return kept;
}

/**
 * Writes sTs/sVal[lo..hi) (chronological) into archive `ai`, then propagates.
 * Exported for merge(), which fills the arrays through loadPoints().
 */
export function archiveUpdateMany(f: OpenFile, ai: number, lo: number, hi: number): void {
  const a = f.header.archives[ai];
  const step = a.secondsPerPoint;
  // Keep the last point of each run of equal intervals, and cut contiguous runs.
  let nd = 0;
  let nr = 0;
  let prevIv = -1;
  for (let k = lo; k < hi; k++) {
    const iv = sTs[k] - floorMod(sTs[k], step);
    if (k + 1 < hi && sTs[k + 1] - floorMod(sTs[k + 1], step) === iv) continue;
    // The reference tests `not previousInterval`, so an interval of 0 (unstorable anyway) never ends a run.
    if (prevIv <= 0 || iv === prevIv + step) {
      if (nr === 0) {
        runFirst[0] = nd;
        runLen[0] = 0;
        nr = 1;
      }
      runLen[nr - 1]++;
    } else {
      runFirst[nr] = nd;
      runLen[nr] = 1;
      nr++;
    }
    dIv[nd] = iv;
    dVal[nd] = sVal[k];
    nd++;
    prevIv = iv;
  }
  for (let r = 0; r < nr; r++) {
    const last = dIv[runFirst[r] + runLen[r] - 1];
    runStart[r] = last - step * (runLen[r] - 1);
    // Accepted ages span at most points+1 slots; anything longer would spill into the next archive.
    if (runLen[r] > a.points + 1) {
      throw new WhisperError(`Internal error: run of ${runLen[r]} points exceeds archive ${ai} (${a.points} points)`, {
        path: f.path,
      });
    }
  }
  let base = archiveBase(f, a);
  if (base === 0) base = runStart[0];
  const buf = writeBuffer(nd * POINT_SIZE);
  for (let d = 0; d < nd; d++) {
    buf.writeUInt32BE(dIv[d], d * POINT_SIZE);
    buf.writeDoubleBE(dVal[d], d * POINT_SIZE + 4);
  }
  dropWindow(a);
  const end = a.offset + a.size;
  for (let r = 0; r < nr; r++) {
    const off = slotOffset(a, base, runStart[r]);
    const from = runFirst[r] * POINT_SIZE;
    const len = runLen[r] * POINT_SIZE;
    const beyond = off + len - end;
    if (beyond > 0) {
      writeAt(f, buf, from, len - beyond, off);
      writeAt(f, buf, from + len - beyond, beyond, a.offset);
    } else {
      writeAt(f, buf, from, len, off);
    }
  }
  a.base = base;
  propagateFrom(f, ai, lo, hi);
}

/** Copies chronological, duplicate-free points into the working arrays (for merge). */
export function loadPoints(ts: ArrayLike<number>, values: ArrayLike<number>, n: number): void {
  ensureCapacity(n);
  for (let k = 0; k < n; k++) {
    sTs[k] = ts[k];
    sVal[k] = values[k];
  }
}

// ---- propagation (reference: __propagate) -------------------------------------------

/** Propagates the points sTs[lo..hi) from archive `ai` down the chain, stopping at the first level that takes nothing. */
function propagateFrom(f: OpenFile, ai: number, lo: number, hi: number): void {
  const archives = f.header.archives;
  let higher = archives[ai];
  for (let li = ai + 1; li < archives.length; li++) {
    const lower = archives[li];
    const lspp = lower.secondsPerPoint;
    let k = 0;
    for (let j = lo; j < hi; j++) {
      const iv = sTs[j] - floorMod(sTs[j], lspp);
      if (k === 0 || lvl[k - 1] !== iv) lvl[k++] = iv;
    }
    if (!propagateLevel(f, higher, lower, k)) break;
    higher = lower;
  }
}

/** Aggregates the windows of lvl[0..k) from `higher` into `lower`; true if any was written. */
function propagateLevel(f: OpenFile, higher: ArchiveHeader, lower: ArchiveHeader, k: number): boolean {
  const hspp = higher.secondsPerPoint;
  const ratio = lower.secondsPerPoint / hspp;
  ensureWindow(ratio);
  const hbase = archiveBase(f, higher);
  const spanSlots = (lvl[k - 1] - lvl[0]) / hspp + ratio;
  let any = false;
  if (k === 1 && hbase !== 0) {
    // The single-point path: consecutive updates usually fall in the same coarser interval,
    // whose window is then already in memory (kept current by notePoint).
    const len = ratio * POINT_SIZE;
    if (higher.winBuf === null || higher.winBuf.length !== len) {
      higher.winBuf = Buffer.allocUnsafe(len);
      higher.winStart = -1;
    }
    if (higher.winStart !== lvl[0]) {
      higher.winStart = -1;
      readRing(f, higher, slotOffset(higher, hbase, lvl[0]), ratio, higher.winBuf);
      higher.winStart = lvl[0];
    }
    any = windowAggregate(f, higher.winBuf, 0, lvl[0], hspp, ratio, 0);
  } else if (hbase !== 0 && spanSlots <= higher.points) {
    // One read covers every window of this level.
    const buf = readBuffer(spanSlots * POINT_SIZE);
    readRing(f, higher, slotOffset(higher, hbase, lvl[0]), spanSlots, buf);
    for (let j = 0; j < k; j++) {
      const at = ((lvl[j] - lvl[0]) / hspp) * POINT_SIZE;
      if (windowAggregate(f, buf, at, lvl[j], hspp, ratio, j)) any = true;
    }
  } else {
    for (let j = 0; j < k; j++) {
      const buf = readBuffer(ratio * POINT_SIZE);
      readRing(f, higher, slotOffset(higher, hbase, lvl[j]), ratio, buf);
      if (windowAggregate(f, buf, 0, lvl[j], hspp, ratio, j)) any = true;
    }
  }
  if (!any) return false;

  const lspp = lower.secondsPerPoint;
  let lbase = archiveBase(f, lower);
  if (lbase === 0) {
    // Empty lower archive: the reference writes in CPython set order, so the first
    // interval of that order that propagated becomes the base slot.
    const m = cpythonSetOrder(lvl, k, lvlOrder);
    for (let s = 0; s < m && lbase === 0; s++) {
      const j = indexOf(lvlOrder[s], k);
      if (resOk[j] !== 0) lbase = lvl[j];
    }
  }
  // An interval of 0 leaves the archive "empty" (E1), so then keep the reference's one-by-one writes.
  if (lbase !== 0 && (lvl[k - 1] - lvl[0]) / lspp < lower.points) {
    // Every interval has its own slot, so write order does not matter: coalesce contiguous ones.
    const buf = writeBuffer(k * POINT_SIZE);
    let j = 0;
    while (j < k) {
      if (resOk[j] === 0) {
        j++;
        continue;
      }
      let e = j;
      let len = 0;
      while (e < k && resOk[e] !== 0 && lvl[e] === lvl[j] + (e - j) * lspp) {
        buf.writeUInt32BE(lvl[e], len);
        buf.writeDoubleBE(resVal[e], len + 4);
        len += POINT_SIZE;
        e++;
      }
      const off = slotOffset(lower, lbase, lvl[j]);
      writeRing(f, lower, off, buf, len);
      if (len === POINT_SIZE && lower.base !== 0) notePoint(lower, lbase, off, buf);
      else dropWindow(lower);
      j = e;
    }
    lower.base = lbase;
  } else {
    // Colliding slots (a batch wider than the lower ring): write one by one in the reference's order.
    const m = cpythonSetOrder(lvl, k, lvlOrder);
    for (let s = 0; s < m; s++) {
      const j = indexOf(lvlOrder[s], k);
      if (resOk[j] !== 0) writePoint(f, lower, lvl[j], resVal[j]);
    }
  }
  return true;
}

function indexOf(iv: number, k: number): number {
  let lo = 0;
  let hi = k - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lvl[mid] < iv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Evaluates one window (`ratio` points of `buf` from byte `at`); stores the result in resOk/resVal[j]. */
function windowAggregate(f: OpenFile, buf: Buffer, at: number, start: number, hspp: number, ratio: number, j: number): boolean {
  let nKnown = 0;
  let expected = start;
  for (let i = 0; i < ratio; i++, expected += hspp) {
    const p = at + i * POINT_SIZE;
    if (buf.readUInt32BE(p) === expected) {
      const v = buf.readDoubleBE(p + 4);
      winKnown[nKnown++] = v;
      winAll[i] = v;
      winPresent[i] = 1;
    } else {
      winPresent[i] = 0;
    }
  }
  // xFilesFactor rule: compared in double precision against the stored float32, as the reference.
  if (nKnown === 0 || !(nKnown / ratio >= f.header.xFilesFactor)) {
    resOk[j] = 0;
    return false;
  }
  resOk[j] = 1;
  resVal[j] = aggregateWindow(f.header.aggregationType, winKnown, nKnown, winAll, winPresent, ratio);
  return true;
}
