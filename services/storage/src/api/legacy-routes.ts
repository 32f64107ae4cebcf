import { Router } from 'express';
import { wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import { type DataResponse, MAX_HOSTS_PER_LISTS } from '../../../../common/schemas/index.js';
import { seriesFile, UnsafePathError } from '../files/layout.js';
import type { RouteContext } from './context.js';
import { BadParameterError, LimitExceededError, NotFoundError, quote, SeriesReadError } from './errors.js';
import { nameListParam, nameParam, positiveIntParam } from './params.js';
import { PointBudget } from './point-budget.js';
import { consolidateGrid, readOnGrid, type SeriesSource } from './series.js';
import { dataWindow } from './window.js';

/**
 * The original Numeter endpoints, same JSON shapes, with the original's defects fixed:
 * real JSON, 400/404 with an `ErrorResponse`, one TS_start/TS_step for every series.
 */
const MAX_DS_PER_REQUEST = 100;

export function legacyRouter(ctx: RouteContext): Router {
  const router = Router();
  const { catalog } = ctx;

  router.get('/', (_req, res) => {
    res.json({ service: 'numeter-storage', endpoints: ['hosts', 'hinfo', 'list', 'lists', 'info', 'data', 'search'] });
  });

  router.get('/hosts', async (_req, res) => {
    res.json(await catalog.hosts());
  });

  router.get('/hinfo', async (req, res) => {
    res.json(await catalog.hostInfo(nameParam(req, 'host')));
  });

  router.get('/list', async (req, res) => {
    res.json(await catalog.plugins(nameParam(req, 'host')));
  });

  // The /list of many hosts in one request: populate reads a whole fleet in a few dozen requests
  // instead of one per host (10,000 of them were five minutes of the default rate limit).
  router.get('/lists', async (req, res) => {
    const hosts = nameListParam(req, 'hosts', MAX_HOSTS_PER_LISTS);
    const lists = await Promise.all(hosts.map((host) => catalog.plugins(host).catch(unknownAsNull)));
    const body: Record<string, unknown> = Object.create(null);
    hosts.forEach((host, i) => {
      if (lists[i] !== null) body[host] = lists[i];
    });
    res.json(body);
  });

  router.get('/info', async (req, res) => {
    const host = nameParam(req, 'host');
    const plugin = nameParam(req, 'plugin');
    res.json(await catalog.pluginInfo(host, plugin));
  });

  router.get('/data', async (req, res) => {
    const host = nameParam(req, 'host');
    const plugin = nameParam(req, 'plugin');
    const wanted = nameListParam(req, 'ds', MAX_DS_PER_REQUEST);
    const maxDataPoints = positiveIntParam(req, 'maxDataPoints');
    const window = dataWindow(req, wholeSecondsOf(ctx.clock));
    const info = await catalog.pluginInfo(host, plugin);
    const known = new Set(await catalog.dataSources(host, plugin, info));
    const unknown = wanted.filter((ds) => !known.has(ds));
    if (unknown.length) {
      throw new NotFoundError(`unknown data source ${unknown.map((ds) => quote(ds)).join(', ')} of plugin ${quote(plugin)}`, 'ds');
    }
    const hostDir = await catalog.hostDir(host);
    const sources: SeriesSource[] = wanted.map((ds) => ({
      name: ds,
      path: hostDir === null ? null : safeSeriesFile(hostDir, plugin, ds),
    }));
    let grid = await readOnGrid(ctx.whisper, sources, window, new PointBudget(ctx.settings, 'from'), maxDataPoints);
    if (grid.series.size === 0) {
      const [ds, reason] = [...grid.errors][0];
      throw new SeriesReadError(`${quote(`${host}/${plugin}/${ds}`)}`, reason);
    }
    if (maxDataPoints !== undefined) grid = consolidateGrid(grid, maxDataPoints);
    checkPoints(grid.series, ctx.settings.maxPoints);
    const body: DataResponse = { TS_start: grid.start, TS_step: grid.step, DATAS: Object.create(null) };
    for (const [ds, values] of grid.series) body.DATAS[ds] = values;
    if (grid.errors.size) {
      body.ERRORS = Object.create(null);
      for (const [ds, reason] of grid.errors) (body.ERRORS as Record<string, string>)[ds] = reason;
      ctx.logger.warn({ host, plugin, failed: [...grid.errors.keys()] }, 'data sources could not be read');
    }
    res.json(body);
  });

  return router;
}

function unknownAsNull(error: unknown): null {
  if (error instanceof NotFoundError) return null;
  throw error;
}

/** The layout refuses a few names the shared rules allow (leading dot): a 400 naming the parameter. */
function safeSeriesFile(hostDir: string, plugin: string, ds: string): string {
  try {
    return seriesFile(hostDir, plugin, ds);
  } catch (error) {
    if (!(error instanceof UnsafePathError)) throw error;
    const parameter = error.message.startsWith('plugin') ? 'plugin' : 'ds';
    throw new BadParameterError(parameter, `${parameter} ${quote(parameter === 'plugin' ? plugin : ds)} cannot be a file name`, {
      cause: error,
    });
  }
}

export function checkPoints(series: Map<string, unknown[]>, maxPoints: number): void {
  let total = 0;
  for (const values of series.values()) total += values.length;
  if (total > maxPoints) {
    throw new LimitExceededError(
      'max_points',
      `the response would carry ${total} points, more than max_points (${maxPoints}): narrow the time range, ask for fewer series or pass maxDataPoints`,
      'maxDataPoints',
    );
  }
}
