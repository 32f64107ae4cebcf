/**
 * Retention definitions ("60s:1d", "60:1440", "1min:1w") and archive-list validation.
 * The parser follows python-whisper's parseRetentionDef (unit = first of seconds,
 * minutes, hours, days, weeks, years that starts with the given letters, so carbon's
 * single letters and whisper's words both work); the list form "60s:1d,5m:30d" is
 * carbon's storage-schemas syntax. Validation keeps the reference's rules and messages,
 * and adds the range checks the reference leaves to struct.pack or never makes.
 */
import { InvalidConfigurationError } from './errors.js';
import type { ArchiveSpec } from './types.js';

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
  ['weeks', 86400 * 7],
  ['years', 86400 * 365],
];

export const UINT32_MAX = 0xffffffff;
/** Bytes of metadata, of one archive description, and of one point (see header.ts). */
const METADATA_SIZE = 16;
const ARCHIVE_INFO_SIZE = 12;
const POINT_SIZE = 12;

/** Seconds per unit for a unit name or any prefix of one ("m", "min", "minutes"). */
export function unitSeconds(unit: string): number {
  for (const [name, seconds] of UNITS) {
    if (name.startsWith(unit)) return seconds;
  }
  throw new InvalidConfigurationError(`Invalid unit '${unit}'`);
}

const DIGITS = /^\d+$/;
const WITH_UNIT = /^(\d+)([a-z]+)$/;

/** Parses "<precision>:<points>", e.g. "60s:1d" → {secondsPerPoint: 60, points: 1440}. */
export function parseRetentionDef(s: string): ArchiveSpec {
  const text = String(s).trim();
  const colon = text.indexOf(':');
  if (colon < 0) throw new InvalidConfigurationError(`Invalid retention definition '${s}'`);
  const precisionText = text.slice(0, colon);
  const pointsText = text.slice(colon + 1);

  let secondsPerPoint: number;
  if (DIGITS.test(precisionText)) {
    secondsPerPoint = Number(precisionText);
  } else {
    const m = WITH_UNIT.exec(precisionText);
    if (!m) throw new InvalidConfigurationError(`Invalid precision specification '${precisionText}'`);
    secondsPerPoint = Number(m[1]) * unitSeconds(m[2]);
  }
  // Divergence: the reference accepts 0 seconds per point and then fails with a
  // ZeroDivisionError later (or writes a degenerate file); say so here instead.
  if (secondsPerPoint < 1) {
    throw new InvalidConfigurationError(`Invalid precision specification '${precisionText}': must be at least 1 second per point`);
  }

  let points: number;
  if (DIGITS.test(pointsText)) {
    points = Number(pointsText);
  } else {
    const m = WITH_UNIT.exec(pointsText);
    if (!m) throw new InvalidConfigurationError(`Invalid retention specification '${pointsText}'`);
    points = Math.floor((Number(m[1]) * unitSeconds(m[2])) / secondsPerPoint);
  }
  // Divergence: "1d:1h" gives 0 points in the reference and is accepted.
  if (points < 1) {
    throw new InvalidConfigurationError(
      `Invalid retention specification '${pointsText}': gives ${points} points at ${secondsPerPoint} seconds per point (at least 1 is needed)`,
    );
  }
  return { secondsPerPoint, points };
}

/** Parses carbon's comma-separated form "60s:1d,5m:30d,1h:1y" (whitespace around items allowed). */
export function parseRetentionDefs(s: string): ArchiveSpec[] {
  const items = String(s)
    .split(',')
    .map((x) => x.trim());
  if (items.length === 1 && items[0] === '') {
    throw new InvalidConfigurationError('Empty retention list: expected e.g. "60s:1d,5m:30d,1h:1y"');
  }
  return items.map((item, i) => {
    if (item === '') throw new InvalidConfigurationError(`Empty retention definition at position ${i + 1} in '${s}'`);
    return parseRetentionDef(item);
  });
}

function tuple(a: ArchiveSpec): string {
  return `(${a.secondsPerPoint}, ${a.points})`;
}

/**
 * Throws InvalidConfigurationError unless the archives can form a whisper file.
 * Rules (the reference's, in its order, on the list sorted by precision):
 * 1. at least one archive;
 * 2. no two archives with the same precision;
 * 3. each precision evenly divides the next coarser one;
 * 4. each coarser archive covers strictly more time;
 * 5. each archive has at least as many points as the next one consolidates.
 * Added (the reference lets these through and fails later or writes a broken file):
 * integer seconds-per-point and points of at least 1, and values that fit the
 * format's 32-bit unsigned fields. Unlike the reference, the caller's list is not sorted in place.
 */
export function validateArchiveList(archives: ReadonlyArray<ArchiveSpec>): void {
  if (!archives || archives.length === 0) {
    throw new InvalidConfigurationError('You must specify at least one archive configuration!');
  }
  archives.forEach((a, i) => {
    for (const field of ['secondsPerPoint', 'points'] as const) {
      const v = a?.[field];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > UINT32_MAX) {
        throw new InvalidConfigurationError(
          `Invalid archive ${i} (${JSON.stringify(a)}): ${field} must be an integer between 1 and ${UINT32_MAX}`,
        );
      }
    }
  });
  const sorted = sortArchives(archives);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i];
    const b = sorted[i + 1];
    if (!(a.secondsPerPoint < b.secondsPerPoint)) {
      throw new InvalidConfigurationError(
        'A Whisper database may not be configured having two archives with the same precision ' +
          `(archive${i}: ${tuple(a)}, archive${i + 1}: ${tuple(b)})`,
      );
    }
    if (b.secondsPerPoint % a.secondsPerPoint !== 0) {
      throw new InvalidConfigurationError(
        "Higher precision archives' precision must evenly divide all lower precision archives' precision " +
          `(archive${i}: ${a.secondsPerPoint}, archive${i + 1}: ${b.secondsPerPoint})`,
      );
    }
    const retention = a.secondsPerPoint * a.points;
    const nextRetention = b.secondsPerPoint * b.points;
    if (!(nextRetention > retention)) {
      throw new InvalidConfigurationError(
        'Lower precision archives must cover larger time intervals than higher precision archives ' +
          `(archive${i}: ${retention} seconds, archive${i + 1}: ${nextRetention} seconds)`,
      );
    }
    const perConsolidation = Math.floor(b.secondsPerPoint / a.secondsPerPoint);
    if (!(a.points >= perConsolidation)) {
      throw new InvalidConfigurationError(
        'Each archive must have at least enough points to consolidate to the next archive ' +
          `(archive${i + 1} consolidates ${perConsolidation} of archive${i}'s points but it has only ${a.points} total points)`,
      );
    }
  }
  const maxRetention = Math.max(...sorted.map((a) => a.secondsPerPoint * a.points));
  if (maxRetention > UINT32_MAX) {
    throw new InvalidConfigurationError(
      `Maximum retention ${maxRetention} seconds does not fit the format's 32-bit field (max ${UINT32_MAX})`,
    );
  }
  const size = fileSizeFor(sorted);
  if (size > UINT32_MAX) {
    throw new InvalidConfigurationError(
      `The file would be ${size} bytes; archive offsets are 32-bit, so at most ${UINT32_MAX} bytes are possible`,
    );
  }
}

/** A sorted copy (by secondsPerPoint ascending), the order create() lays archives out in. */
export function sortArchives(archives: ReadonlyArray<ArchiveSpec>): ArchiveSpec[] {
  return archives
    .map((a) => ({ secondsPerPoint: a.secondsPerPoint, points: a.points }))
    .sort((x, y) => x.secondsPerPoint - y.secondsPerPoint);
}

/** Size in bytes of a whisper file holding these archives. */
export function fileSizeFor(archives: ReadonlyArray<ArchiveSpec>): number {
  let size = METADATA_SIZE + ARCHIVE_INFO_SIZE * archives.length;
  for (const a of archives) size += POINT_SIZE * a.points;
  return size;
}
