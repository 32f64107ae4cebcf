import type { SeriesFetch, WhisperReader } from './deps.js';
import { NotFoundError } from './errors.js';

/**
 * Reading several series onto one time grid: one `start`/`step` valid for every series.
 * Every file is fetched over the same window with the same `now`, so files with the
 * same archives come back from the same archive on the same aligned slots (whisper's
 * `from` is exclusive: the first slot is `from - from % step + step`). Files whose
 * archives differ are averaged onto the coarsest step, so the grid stays shared.
 */
export interface TimeWindow {
  from: number;
  until: number;
  now: number;
}

export interface SeriesSource {
  /** What the client asked for (a data-source name or a Graphite path). */
  name: string;
  /** The `.wsp` file, or null when none is stored yet (the series is all nulls). */
  path: string | null;
}

export interface Grid {
  start: number;
  step: number;
  series: Map<string, (number | null)[]>;
  /** name → why the series could not be read (it is absent from `series`). */
  errors: Map<string, string>;
}

export function readOnGrid(whisper: WhisperReader, sources: SeriesSource[], window: TimeWindow): Grid {
  const fetched = new Map<string, SeriesFetch>();
  const errors = new Map<string, string>();
  let anyFile: string | null = null;
  for (const source of sources) {
    if (source.path === null) continue;
    try {
      const result = whisper.fetch(source.path, window.from, window.until, { now: window.now });
      anyFile ??= source.path;
      if (result) fetched.set(source.name, result);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') continue;
      errors.set(source.name, describeReadError(error));
    }
  }
  if (anyFile === null && errors.size === 0) {
    throw new NotFoundError(`no data stored yet for ${sources.map((s) => JSON.stringify(s.name)).join(', ')}`, 'ds');
  }
  const frame = fetched.size > 0 ? frameOf([...fetched.values()]) : emptyFrame(whisper, anyFile, window);
  const series = new Map<string, (number | null)[]>();
  for (const source of sources) {
    if (errors.has(source.name)) continue;
    const result = fetched.get(source.name);
    series.set(source.name, result ? rebucket(result.values, result.start, result.step, frame) : new Array(frame.count).fill(null));
  }
  return { start: frame.start, step: frame.step, series, errors };
}

interface Frame {
  start: number;
  step: number;
  count: number;
}

/** The smallest grid on the coarsest step that holds every fetched slot. */
function frameOf(results: SeriesFetch[]): Frame {
  const step = results.map((r) => r.step).reduce(lcm);
  const start = Math.min(...results.map((r) => r.start - mod(r.start, step)));
  const end = Math.max(...results.map((r) => Math.ceil(r.end / step) * step));
  return { start, step, count: (end - start) / step };
}

/** Window entirely outside the files' retention: nulls on the step whisper would have used. */
function emptyFrame(whisper: WhisperReader, path: string | null, window: TimeWindow): Frame {
  let step = 60;
  if (path !== null) {
    const archives = whisper.info(path).archives;
    const covering = archives.find((a) => a.retention >= window.now - window.from) ?? archives[archives.length - 1];
    if (covering) step = covering.secondsPerPoint;
  }
  const start = window.from - mod(window.from, step) + step;
  let end = window.until - mod(window.until, step) + step;
  if (end <= start) end = start + step;
  return { start, step, count: (end - start) / step };
}

/** Values on (start, step) averaged into the frame's buckets (bucket of t = t - t mod frame.step), nulls ignored. */
export function rebucket(values: (number | null)[], start: number, step: number, frame: Frame): (number | null)[] {
  if (step === frame.step && start === frame.start && values.length === frame.count) return values;
  const sums = new Float64Array(frame.count);
  const counts = new Uint32Array(frame.count);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) continue;
    const t = start + i * step;
    const bucket = Math.floor((t - frame.start) / frame.step);
    if (bucket < 0 || bucket >= frame.count) continue;
    sums[bucket] += value;
    counts[bucket]++;
  }
  return Array.from(sums, (sum, i) => (counts[i] ? sum / counts[i] : null));
}

/**
 * `maxDataPoints`: when a series has more values, k = ceil(count / maxDataPoints)
 * consecutive slots are averaged into one (nulls ignored, null when all are null).
 * Buckets are aligned to multiples of the new step (k × step), like Graphite's "nudge",
 * so a refreshing graph keeps the same buckets; when alignment adds a partial leading
 * bucket beyond maxDataPoints, that bucket is dropped (as Graphite drops those values).
 */
export function consolidateGrid(grid: Grid, maxDataPoints: number): Grid {
  const count = grid.series.values().next().value?.length ?? 0;
  if (count <= maxDataPoints) return grid;
  const end = grid.start + count * grid.step;
  const step = grid.step * Math.ceil(count / maxDataPoints);
  let start = grid.start - mod(grid.start, step);
  let buckets = Math.ceil((end - start) / step);
  if (buckets > maxDataPoints) {
    start += (buckets - maxDataPoints) * step;
    buckets = maxDataPoints;
  }
  const frame: Frame = { start, step, count: buckets };
  const series = new Map<string, (number | null)[]>();
  for (const [name, values] of grid.series) series.set(name, rebucket(values, grid.start, grid.step, frame));
  return { start, step, series, errors: grid.errors };
}

/** A read failure described without the file's path (CorruptWhisperFileError keeps the bare reason in `.error`). */
function describeReadError(error: unknown): string {
  const bare = (error as { error?: unknown }).error;
  if (typeof bare === 'string') return `corrupt file: ${bare}`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return `I/O error ${code}`;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && name !== 'Error' ? `unreadable file (${name})` : 'unreadable file';
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
