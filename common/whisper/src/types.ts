/** Public data types of the Whisper library (see docs/whisper.md). */

export type AggregationMethod = 'average' | 'sum' | 'last' | 'max' | 'min' | 'avg_zero' | 'absmax' | 'absmin';

/** One archive as configured: `points` slots of `secondsPerPoint` seconds each. */
export interface ArchiveSpec {
  secondsPerPoint: number;
  points: number;
}

/** One archive as stored: where it starts, and its derived retention (s) and size (bytes). */
export interface ArchiveInfo extends ArchiveSpec {
  offset: number;
  retention: number;
  size: number;
}

export interface WhisperInfo {
  aggregationMethod: AggregationMethod;
  maxRetention: number;
  /** As stored: a float32 widened to a double (0.3 reads back as 0.30000001192092896). */
  xFilesFactor: number;
  archives: ArchiveInfo[];
  fileSize: number;
}

/** Values for the intervals start, start+step, …, end-step; null where nothing is stored. */
export interface FetchResult {
  start: number;
  end: number;
  step: number;
  values: (number | null)[];
}

export interface CreateOptions {
  /** Fraction of known points a lower archive's interval needs before it is aggregated. @defaultValue 0.5 */
  xFilesFactor?: number;
  /** @defaultValue 'average' */
  aggregationMethod?: AggregationMethod;
  /** Extend the file with ftruncate instead of writing zeros (same bytes, fewer blocks). @defaultValue false */
  sparse?: boolean;
}

/** One differing slot found by diff(): null where a file has no value. */
export interface DiffPoint {
  timestamp: number;
  a: number | null;
  b: number | null;
}

/** diff() result for one archive (archives in order of increasing retention). */
export interface ArchiveDiff {
  archive: number;
  /** Slots compared (those where at least one side, or with ignoreEmpty both sides, have a value). */
  total: number;
  /** The compared slots whose values differ (NaN always differs). */
  diffs: DiffPoint[];
}
