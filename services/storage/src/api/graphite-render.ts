import type { Request, Response } from 'express';
import { wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import { seriesFile, UnsafePathError } from '../files/layout.js';
import type { RenderContext } from '../query/define.js';
import { evaluateTarget } from '../query/evaluator.js';
import { RenderBudget, type RenderLimits } from '../query/limits.js';
import { parseTarget } from '../query/parser.js';
import { applyMaxDataPoints, jsonChunks, toCsv, toRaw } from '../query/render.js';
import { Series } from '../query/series.js';
import { parseAtTime } from './attime.js';
import type { RouteContext } from './context.js';
import { BadParameterError, quote, SeriesReadError } from './errors.js';
import { pngParams, renderGraphitePng } from './graphite-png.js';
import type { GraphiteTree, Leaf } from './graphite-tree.js';
import { allValues, optionalParam, positiveIntParam } from './params.js';
import { PointBudget } from './point-budget.js';
import { readSeries, type SeriesSource, type TimeWindow } from './series.js';
import { TimeSlice } from './time-slice.js';

/**
 * `/render`: targets parsed, evaluated by the query engine over the whisper files
 * (each file read on its own archive, as graphite-web reads it), then maxDataPoints and
 * the output format. GET and POST (urlencoded, as Grafana sends) parameters are merged.
 */
const MAX_TARGETS = 50;
const FORMATS = ['json', 'csv', 'raw', 'png'] as const;
/** A render may spend this long evaluating; longer is a 400 naming render_time_limit. */
export const RENDER_TIME_LIMIT_MS = 10_000;

export function renderHandler(ctx: RouteContext, tree: GraphiteTree) {
  return async (req: Request, res: Response) => {
    const format = renderFormat(req);
    const targets = [...allValues(req, 'target'), ...allValues(req, 'target[]')].filter((t) => t.trim() !== '');
    if (targets.length === 0) throw new BadParameterError('target', 'missing parameter target');
    if (targets.length > MAX_TARGETS) throw new BadParameterError('target', `more than ${MAX_TARGETS} targets`);
    const exprs = targets.map((t) => parseTarget(t));
    const png = format === 'png' ? pngParams(req) : null;
    const window = renderWindow(req, wholeSecondsOf(ctx.clock));
    const limits: RenderLimits = {
      maxSeries: ctx.settings.maxFindResults,
      maxPointsBuilt: ctx.settings.maxPoints * 10,
      maxMillis: RENDER_TIME_LIMIT_MS,
    };
    const budget = new RenderBudget(limits, () => performance.now());
    const points = new PointBudget(ctx.settings, 'target');
    const xFilesFactor = xFilesFactorParam(req);
    const render: RenderContext = {
      ...window,
      xFilesFactor,
      budget,
      stacks: new Map(),
      fetch: seriesFetcher(ctx, tree, window.now, xFilesFactor, budget, points),
    };
    const series: Series[] = [];
    for (const expr of exprs) series.push(...(await evaluateTarget(expr, render)));
    if (png) {
      const image = await renderGraphitePng(ctx.png, series, png);
      res.type('image/png').setHeader('Cache-Control', 'no-cache');
      res.send(image);
      return;
    }
    const maxDataPoints = positiveIntParam(req, 'maxDataPoints');
    if (maxDataPoints !== undefined && format === 'json') applyMaxDataPoints(series, maxDataPoints);
    points.checkAnswer(series.reduce((n, s) => n + Math.ceil(s.data.length / s.valuesPerPoint), 0));
    if (format === 'csv') res.type('text/csv').send(toCsv(series));
    else if (format === 'raw') res.type('text/plain').send(toRaw(series));
    else {
      const spare: Buffer[] = [];
      await sendChunks(
        res.type('application/json'),
        jsonChunks(series, optionalParam(req, 'noNullPoints') !== undefined, undefined, spare),
        spare,
      );
    }
  };
}

/**
 * A large answer sent in slices (chunked), the event loop free between two: each slice is
 * written, the socket's buffer drained when it is full, and other callbacks (a /health, a
 * read's answer) run before the next slice is made. Stops when the client has gone. A slice
 * written to the socket goes back to `spare`, for the next slices to be written into.
 */
async function sendChunks(res: Response, chunks: Iterable<Buffer>, spare: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk, () => spare.push(chunk))) await drained(res);
    await new Promise<void>((next) => setImmediate(next));
  }
  res.end();
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function renderFormat(req: Request): (typeof FORMATS)[number] {
  if (optionalParam(req, 'jsonp') !== undefined) throw new BadParameterError('jsonp', 'jsonp is not supported (use CORS or a proxy)');
  const format = optionalParam(req, 'format') ?? (optionalParam(req, 'rawData') !== undefined ? 'raw' : 'json');
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new BadParameterError('format', `format ${quote(format)} is not supported (${FORMATS.join(', ')})`);
  }
  return format as (typeof FORMATS)[number];
}

/** graphite-web's window: `now` (default: the clock), `until` (default now), `from` (default until - 24 h), in either order. */
function renderWindow(req: Request, clock: number): { from: number; until: number; now: number } {
  const nowText = optionalParam(req, 'now');
  const now = nowText ? parseAtTime(nowText, clock, 'now') : clock;
  const untilText = optionalParam(req, 'until');
  const fromText = optionalParam(req, 'from');
  const until = untilText ? parseAtTime(untilText, now, 'until') : now;
  const from = fromText ? parseAtTime(fromText, now, 'from') : until - 86_400;
  if (from === until)
    throw new BadParameterError(fromText ? 'from' : 'until', `from and until are the same time (${from}): an empty range`);
  // graphite-web takes the two ends in either order.
  return { from: Math.min(from, until), until: Math.max(from, until), now };
}

function xFilesFactorParam(req: Request): number {
  const text = optionalParam(req, 'xFilesFactor');
  if (text === undefined || text === '') return 0;
  const value = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || value > 1)
    throw new BadParameterError('xFilesFactor', `xFilesFactor must be a number from 0 to 1, got ${quote(text)}`);
  return value;
}

/**
 * fetchData(): the series of a path pattern, one per matching file on its own archive and
 * step, named by their path, sorted by name. The reads go through the API's fetch layer
 * (planned from headers and charged to the request's PointBudget before any data is read).
 * A file missing or holding nothing in the window gives no series, as in Graphite.
 */
function seriesFetcher(
  ctx: RouteContext,
  tree: GraphiteTree,
  now: number,
  xFilesFactor: number,
  budget: RenderBudget,
  points: PointBudget,
) {
  // Host directories looked up once per request, the hosts of one pattern in one round trip.
  const hostDirs = new Map<string, Promise<string | null>>();
  const lookUpHosts = (leaves: Leaf[]) => {
    const missing = [...new Set(leaves.map((leaf) => leaf.host))].filter((host) => !hostDirs.has(host));
    if (missing.length === 0) return;
    const found = ctx.catalog.hostDirsOf(missing);
    for (const host of missing) {
      const dir = found.then((dirs) => dirs.get(host) ?? null);
      // Awaited by sourcesOf, which stops at the first failure: the others must not be unhandled rejections.
      dir.catch(() => {});
      hostDirs.set(host, dir);
    }
  };
  const hostDir = (host: string) => hostDirs.get(host) ?? ctx.catalog.hostDir(host);
  return async (pattern: string, from: number, until: number): Promise<Series[]> => {
    const leaves = await tree.leaves(pattern, 'target');
    lookUpHosts(leaves);
    const sources = await sourcesOf(ctx, leaves, hostDir);
    budget.fetched(sources.length, 0);
    const window = windowClamped(from, until, now);
    const outcomes = window ? await readSeries(ctx.whisper, sources, window, points) : [];
    const byName = new Map<string, Series>();
    const unreadable: Array<{ name: string; reason: string }> = [];
    outcomes.forEach((outcome, i) => {
      const name = sources[i].name;
      if (outcome.status === 'unreadable') unreadable.push({ name, reason: outcome.reason });
      if (outcome.status !== 'read') return;
      const { start, end, step, values } = outcome.data;
      const series = new Series({ name, pathExpression: pattern, start, end, step, values, xFilesFactor });
      budget.built(values.length);
      const known = byName.get(name);
      // Two index names behind one node: keep the more complete series, as graphite-web merges stores.
      if (!known || nullCount(known) > nullCount(series)) byName.set(name, series);
    });
    skipUnreadable(ctx, pattern, unreadable, sources.length);
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
}

/**
 * One damaged file does not take the other series of a pattern with it: it is left out and
 * logged, as graphite-web skips a failed fetch; only when every matching file failed is the
 * request a 500 naming a series.
 */
function skipUnreadable(ctx: RouteContext, pattern: string, unreadable: Array<{ name: string; reason: string }>, matched: number): void {
  if (unreadable.length === 0) return;
  const [first] = unreadable;
  if (unreadable.length === matched) throw new SeriesReadError(quote(first.name), first.reason);
  ctx.logger.warn(
    { pattern, unreadable: unreadable.length, example: first.name, reason: first.reason },
    'render left out unreadable series',
  );
}

/** The window whisper would read: until capped at now; none when it is empty or in the future. */
function windowClamped(from: number, until: number, now: number): TimeWindow | null {
  const end = Math.min(until, now);
  return from < end ? { from, until: end, now } : null;
}

async function sourcesOf(ctx: RouteContext, leaves: Leaf[], hostDir: (host: string) => Promise<string | null>): Promise<SeriesSource[]> {
  const dirs = new Map<string, string | null>();
  for (const host of new Set(leaves.map((leaf) => leaf.host))) dirs.set(host, await hostDir(host));
  const sources: SeriesSource[] = [];
  const slice = new TimeSlice();
  for (const leaf of leaves) {
    if (slice.due()) await slice.next();
    const dir = dirs.get(leaf.host) ?? null;
    if (dir === null) continue;
    try {
      sources.push({ name: leaf.path, path: seriesFile(dir, leaf.plugin, leaf.ds) });
    } catch (error) {
      if (!(error instanceof UnsafePathError)) throw error;
      // A name in Redis that cannot be a file name: never turned into a path.
      ctx.logger.warn({ series: leaf.path.slice(0, 300) }, 'unsafe name in the index; series skipped');
    }
  }
  return sources;
}

function nullCount(s: Series): number {
  let n = 0;
  for (const v of s.data) if (Number.isNaN(v)) n++;
  return n;
}
