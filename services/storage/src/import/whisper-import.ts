import { existsSync, linkSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as whisper from '../../../../common/whisper/index.js';

/**
 * Writes the consolidated rows of an RRD (one series per AVERAGE RRA) into a Whisper
 * file so that every archive holds its RRA's values:
 * - a new file gets one archive per RRA (same step and rows, average, the RRA's xff) and
 *   is filled under a temporary name, then linked into place (a file the storage created
 *   meanwhile wins, and is then filled like an existing one);
 * - an existing file keeps its archives; each receives, from the RRA of the same step
 *   (else a finer one averaged, else a coarser one repeated), only the slots older than
 *   its own oldest value: the import never overwrites a point, so running it twice, or
 *   after the poller started writing, changes nothing newer.
 *
 * Whisper writes a point into the finest archive whose retention covers its age and
 * propagates it into the coarser ones. To put an RRA's rows into exactly one archive,
 * each archive is written with a "now" that makes its rows' ages fall in that archive,
 * finest first, so every coarser archive is overwritten by its own RRA afterwards; and
 * the writes propagate with an xFilesFactor of 1 (an option of the write, never written
 * into the header: a crash mid-fill leaves the file's own xFilesFactor), so propagation
 * never leaves a value in a slot the RRA has as unknown.
 */
export class ImportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
  }
}

export interface RraRows {
  /** Seconds per row. */
  resolution: number;
  rows: number;
  xff: number;
  /** [interval start, value or null], oldest first. */
  points: Array<[number, number | null]>;
}

export interface WhisperImportResult {
  created: boolean;
  written: number;
}

interface Archive {
  secondsPerPoint: number;
  retention: number;
}

export function importRows(file: string, rras: readonly RraRows[], options: { now: number; sparse?: boolean }): WhisperImportResult {
  const sorted = [...rras].sort((a, b) => a.resolution - b.resolution);
  if (sorted.length === 0) throw new ImportError(`${file}: no AVERAGE archive to import`);
  if (!existsSync(file)) {
    const created = createFilled(file, sorted, options);
    if (created !== null) return { created: true, written: created };
  }
  return { created: false, written: fillExisting(file, sorted, options.now) };
}

/** null when another writer created the file first. */
function createFilled(file: string, rras: RraRows[], options: { now: number; sparse?: boolean }): number | null {
  const archives: whisper.ArchiveSpec[] = rras.map((rra) => ({ secondsPerPoint: rra.resolution, points: rra.rows }));
  try {
    whisper.validateArchiveList(archives);
  } catch (error) {
    throw new ImportError(`${file}: the RRD's archives cannot be a Whisper file: ${(error as Error).message}`, { cause: error });
  }
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.importing`;
  if (existsSync(temporary)) unlinkSync(temporary); // left by a crashed import
  whisper.create(temporary, archives, { aggregationMethod: 'average', xFilesFactor: rras[0].xff, sparse: options.sparse ?? false });
  try {
    const written = fillArchives(temporary, toArchives(archives), rras, options.now, () => Number.POSITIVE_INFINITY);
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw error;
    }
    return written;
  } finally {
    unlinkSync(temporary);
  }
}

function fillExisting(file: string, rras: RraRows[], now: number): number {
  const dump = whisper.dump(file);
  const archives = dump.archives.map((a) => ({ secondsPerPoint: a.secondsPerPoint, retention: a.retention }));
  const oldest = dump.data.map((slots, index) => oldestKnown(slots, now - archives[index].retention));
  return fillArchives(file, archives, rras, now, (index) => oldest[index]);
}

function fillArchives(file: string, archives: Archive[], rras: RraRows[], now: number, oldestOf: (index: number) => number): number {
  let written = 0;
  const reference = Math.max(now, ...rras.map((rra) => rra.points.at(-1)?.[0] ?? 0));
  for (const [index, archive] of archives.entries()) {
    const step = archive.secondsPerPoint;
    const since = reference - archive.retention;
    const before = oldestOf(index);
    const points = rowsFor(step, rras).filter(([t]) => t > since && t + step <= before);
    written += writeIntoArchive(file, points, index === 0 ? 0 : archives[index - 1].retention, archive.retention);
  }
  return written;
}

/** Writes points (oldest first) so that each one's age lies in (finerRetention, retention]. */
function writeIntoArchive(file: string, points: Array<[number, number]>, finerRetention: number, retention: number): number {
  let end = points.length;
  while (end > 0) {
    const now = points[end - 1][0] + (finerRetention > 0 ? finerRetention + 1 : 0);
    let start = end - 1;
    while (start > 0 && now - points[start - 1][0] <= retention) start--;
    whisper.updateMany(file, points.slice(start, end), { now, xFilesFactor: 1 });
    end = start;
  }
  return points.length;
}

/**
 * The archive's rows: the RRA of the same step as it is (its unknowns stay unknown); else
 * each slot from the best RRA that has a value for it, finer ones averaged (the finest
 * first), else coarser ones repeated.
 */
export function rowsFor(step: number, rras: readonly RraRows[]): Array<[number, number]> {
  const same = rras.find((rra) => rra.resolution === step);
  if (same) return known(same.points);
  const finer = rras.filter((rra) => rra.resolution < step && step % rra.resolution === 0);
  const coarser = rras.filter((rra) => rra.resolution > step && rra.resolution % step === 0).reverse();
  const slots = new Map<number, number>();
  // Lowest priority first: each better source overwrites.
  for (const rra of coarser) for (const [t, v] of repeated(rra, step)) slots.set(t, v);
  for (const rra of finer) for (const [t, v] of averaged(rra, step)) slots.set(t, v);
  return [...slots].sort((a, b) => a[0] - b[0]);
}

function known(points: ReadonlyArray<[number, number | null]>): Array<[number, number]> {
  return points.filter((point): point is [number, number] => point[1] !== null);
}

function averaged(rra: RraRows, step: number): Array<[number, number]> {
  const per = step / rra.resolution;
  const buckets = new Map<number, { sum: number; count: number }>();
  for (const [t, value] of rra.points) {
    if (value === null) continue;
    const slot = t - (t % step);
    const bucket = buckets.get(slot) ?? { sum: 0, count: 0 };
    bucket.sum += value;
    bucket.count++;
    buckets.set(slot, bucket);
  }
  return [...buckets]
    .filter(([, bucket]) => bucket.count / per >= rra.xff)
    .map(([slot, bucket]): [number, number] => [slot, bucket.sum / bucket.count])
    .sort((a, b) => a[0] - b[0]);
}

function repeated(rra: RraRows, step: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [t, value] of known(rra.points)) for (let s = t; s < t + rra.resolution; s += step) out.push([s, value]);
  return out;
}

function oldestKnown(slots: ReadonlyArray<[number, number]>, since: number): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const [t] of slots) if (t !== 0 && t > since && t < oldest) oldest = t;
  return oldest;
}

function toArchives(specs: whisper.ArchiveSpec[]): Archive[] {
  return specs.map(({ secondsPerPoint, points }) => ({ secondsPerPoint, retention: secondsPerPoint * points }));
}
