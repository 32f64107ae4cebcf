import type { SeriesFetch, SeriesValues, WhisperReader } from './deps.js';
import { NotFoundError } from './errors.js';
import type { PointBudget } from './point-budget.js';
import { type FileHeader, mod, planFetch, type ReadPlan } from './whisper-header.js';

/**
 * The fetch layer of /data and /render. A request is planned from the files' headers
 * first (which archive, how many slots), its cost charged to its PointBudget, and only
 * then are the files read: asynchronously, several at a time (WhisperFiles bounds how
 * many), so no request holds the event loop or builds more than its budget allows.
 * Windows are clamped to what the files hold (whisper's rules): a window older than the
 * retention or in the future reads nothing and builds nothing.
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

/** What reading one source gave; `readSeries` answers one per source, in order. */
export type SeriesOutcome<Data = SeriesFetch> =
  | { status: 'read'; data: Data; header: FileHeader }
  | { status: 'no-file' }
  /** The file exists but holds nothing in the window (older than its retention, or in the future). */
  | { status: 'no-data'; header: FileHeader }
  /** Corrupt file or I/O error; `reason` never holds the path. */
  | { status: 'unreadable'; reason: string };

interface Planned {
  source: SeriesSource;
  header?: FileHeader;
  plan: ReadPlan | null;
  failure?: string;
}

/**
 * Each source on its own step (Graphite's render reads this way), the values as typed
 * arrays (NaN: nothing stored); the budget is charged before any data is read. Sources
 * may share a name (two index names on one path).
 */
export async function readSeries(
  reader: WhisperReader,
  sources: SeriesSource[],
  window: TimeWindow,
  budget: PointBudget,
): Promise<SeriesOutcome<SeriesValues>[]> {
  const planned = await planReads(reader, sources, window);
  await budget.chargeRead(planned.reduce((n, p) => n + (p.plan?.count ?? 0), 0));
  return readPlanned(planned, (path) => reader.fetchValues(path, window.from, window.until, { now: window.now }));
}

async function planReads(reader: WhisperReader, sources: SeriesSource[], window: TimeWindow): Promise<Planned[]> {
  return Promise.all(
    sources.map(async (source): Promise<Planned> => {
      if (source.path === null) return { source, plan: null };
      try {
        const header = await reader.header(source.path);
        return { source, header, plan: planFetch(header, window.from, window.until, window.now) };
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return { source, plan: null };
        return { source, plan: null, failure: describeReadError(error) };
      }
    }),
  );
}

async function readPlanned<Data>(planned: Planned[], read: (path: string) => Promise<Data | null>): Promise<SeriesOutcome<Data>[]> {
  return Promise.all(
    planned.map(async ({ source, header, plan, failure }): Promise<SeriesOutcome<Data>> => {
      if (failure !== undefined) return { status: 'unreadable', reason: failure };
      if (header === undefined || source.path === null) return { status: 'no-file' };
      if (plan === null) return { status: 'no-data', header };
      try {
        const data = await read(source.path);
        return data ? { status: 'read', data, header } : { status: 'no-data', header };
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return { status: 'no-file' };
        return { status: 'unreadable', reason: describeReadError(error) };
      }
    }),
  );
}

export interface Grid {
  start: number;
  step: number;
  series: Map<string, (number | null)[]>;
  /** name → why the series could not be read (it is absent from `series`). */
  errors: Map<string, string>;
}

/**
 * Several series onto one time grid (/data): one `start`/`step` valid for every series.
 * Every file is fetched over the same window with the same `now`, so files with the
 * same archives come back from the same archive on the same aligned slots; files whose
 * archives differ are averaged onto the coarsest step. Sources need distinct names.
 * Checks the read budget, and the answer's size (after `maxDataPoints`), before reading.
 */
export async function readOnGrid(
  reader: WhisperReader,
  sources: SeriesSource[],
  window: TimeWindow,
  budget: PointBudget,
  maxDataPoints?: number,
): Promise<Grid> {
  const planned = await planReads(reader, sources, window);
  if (planned.every((p) => p.header === undefined && p.failure === undefined)) {
    throw new NotFoundError(`no data stored yet for ${sources.map((s) => JSON.stringify(s.name)).join(', ')}`, 'ds');
  }
  const plans = planned.flatMap((p) => (p.plan ? [p.plan] : []));
  budget.checkAnswer(sources.length * Math.min(expectedFrameCount(plans), maxDataPoints ?? Number.POSITIVE_INFINITY));
  await budget.chargeRead(plans.reduce((n, p) => n + p.count, 0));
  const outcomes = await readPlanned(planned, (path) => reader.fetch(path, window.from, window.until, { now: window.now }));
  const fetched = outcomes.flatMap((o) => (o.status === 'read' ? [o.data] : []));
  const header = planned.find((p) => p.header)?.header;
  const frame = fetched.length > 0 ? frameOf(fetched) : emptyFrame(header, window);
  const series = new Map<string, (number | null)[]>();
  const errors = new Map<string, string>();
  sources.forEach((source, i) => {
    const outcome = outcomes[i];
    if (outcome.status === 'unreadable') errors.set(source.name, outcome.reason);
    else if (outcome.status === 'read')
      series.set(source.name, rebucket(outcome.data.values, outcome.data.start, outcome.data.step, frame));
    else series.set(source.name, new Array(frame.count).fill(null));
  });
  return { start: frame.start, step: frame.step, series, errors };
}

interface Frame {
  start: number;
  step: number;
  count: number;
}

/** Slots of the grid the plans will share (the coarsest step), counted before anything is read. */
function expectedFrameCount(plans: ReadPlan[]): number {
  if (plans.length === 0) return 0;
  const step = plans.map((p) => p.step).reduce(lcm);
  return Math.max(...plans.map((p) => Math.ceil((p.count * p.step) / step) + 1));
}

/** The smallest grid on the coarsest step that holds every fetched slot. */
function frameOf(results: SeriesFetch[]): Frame {
  const step = results.map((r) => r.step).reduce(lcm);
  const start = Math.min(...results.map((r) => r.start - mod(r.start, step)));
  const end = Math.max(...results.map((r) => Math.ceil(r.end / step) * step));
  return { start, step, count: (end - start) / step };
}

/** Nothing stored in the window: no slots, on the step whisper would have used. */
function emptyFrame(header: FileHeader | undefined, window: TimeWindow): Frame {
  const archives = header?.archives ?? [];
  const covering = archives.find((a) => a.retention >= window.now - window.from) ?? archives[archives.length - 1];
  const step = covering?.secondsPerPoint ?? 60;
  return { start: window.from - mod(window.from, step) + step, step, count: 0 };
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

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
