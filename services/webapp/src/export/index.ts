import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  type ChartSize,
  checkPngCost,
  downsampleToWidth,
  PngBusyError,
  PngTimeoutError,
  SIZE_LIMITS,
} from '../../../../common/charts/index.js';
import { ExtendedDataQuery, RESOLUTION_SECONDS } from '../../../../common/schemas/index.js';
import { requireUser } from '../auth/middleware.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { pluginExtendedData, viewExtendedData } from '../extended-data.js';
import { errorResponse, fromZod, NotFoundError } from '../http-errors.js';
import { buildGraph } from '../render/model.js';
import type { GraphModel } from '../render/types.js';
import { buildViewGraph } from '../render/view.js';
import { toCsv, toJson } from './tabular.js';

/**
 * Stable export URLs, usable from curl with `Authorization: Bearer <token>` or from the pages
 * with the session cookie:
 *   GET /export/hosts/:hostId/plugins/:plugin.(png|csv|json)?res=Daily&width=800&height=300&theme=light
 *   GET /export/views/:viewId.(png|csv|json)?res=...
 * Permission-checked like the REST API: what the user may not see is a 404.
 */
const ExportQuery = ExtendedDataQuery.extend({
  width: z.coerce.number().int().min(SIZE_LIMITS.minWidth).max(SIZE_LIMITS.maxWidth).default(800),
  height: z.coerce.number().int().min(SIZE_LIMITS.minHeight).max(SIZE_LIMITS.maxHeight).default(300),
  theme: z.enum(['light', 'dark']).default('light'),
});
type ExportQuery = z.infer<typeof ExportQuery>;
const FORMAT = /^(.+)\.(png|csv|json)$/;

export function exportRouter(deps: AppDeps): Router {
  const r = express.Router();
  r.get('/export/hosts/:hostId/plugins/:file', requireUser, async (req, res, next) => {
    try {
      const [plugin, format] = splitFile(String(req.params.file));
      const hostId = Number(req.params.hostId);
      const host = Number.isSafeInteger(hostId) ? await deps.access.host(authUser(req), hostId) : null;
      if (!host) throw new NotFoundError('host not found');
      const q = parseExportQuery(req);
      const ext = await pluginExtendedData(deps, host, plugin, q);
      const model = buildGraph(ext.infos, ext.datas);
      const until = new Date((q.until ?? Math.floor(deps.now().getTime() / 1000)) * 1000);
      const from = new Date((q.from ?? until.getTime() / 1000 - RESOLUTION_SECONDS[q.res]) * 1000);
      const events = (await deps.repos.events.forHost(host.id, from, until)).map((e) => ({
        time: e.date.getTime() / 1000,
        text: e.shortText || e.name,
      }));
      await send(deps, res, model, format, { width: q.width, height: q.height, theme: q.theme, events }, `${host.name}-${plugin}`);
    } catch (error) {
      next(error);
    }
  });
  r.get('/export/views/:file', requireUser, async (req, res, next) => {
    try {
      const [idText, format] = splitFile(String(req.params.file));
      const viewId = Number(idText);
      const view = Number.isSafeInteger(viewId) ? await deps.access.view(authUser(req), viewId) : null;
      if (!view) throw new NotFoundError('view not found');
      const q = parseExportQuery(req);
      const model = buildViewGraph(await viewExtendedData(deps, authUser(req), view, q));
      await send(deps, res, model, format, { width: q.width, height: q.height, theme: q.theme }, `view-${view.id}`);
    } catch (error) {
      next(error);
    }
  });
  // Export errors are JSON for curl users, with the status the REST API would give.
  r.use('/export', (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = errorResponse(error);
    if (error instanceof PngBusyError || error instanceof PngTimeoutError) {
      deps.logger.warn({ error: body.error, counters: deps.png.counters }, 'PNG export limit');
      if (error instanceof PngBusyError) res.setHeader('Retry-After', '5');
    } else if (status >= 500) deps.logger.error({ err: error }, 'export failed');
    res.status(status).json(body);
  });
  return r;
}

function authUser(req: Request): AuthUser {
  return req.user as AuthUser;
}

function splitFile(file: string): [string, 'png' | 'csv' | 'json'] {
  const match = FORMAT.exec(file);
  if (!match) throw new NotFoundError('export URLs end in .png, .csv or .json');
  return [match[1], match[2] as 'png' | 'csv' | 'json'];
}

function parseExportQuery(req: Request): ExportQuery {
  const parsed = ExportQuery.safeParse(req.query);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

async function send(
  deps: AppDeps,
  res: Response,
  model: GraphModel,
  format: 'png' | 'csv' | 'json',
  size: ChartSize,
  name: string,
): Promise<void> {
  const filename = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  res.setHeader('Cache-Control', 'private, max-age=30');
  if (format === 'json') {
    res.json(toJson(model));
    return;
  }
  if (format === 'csv') {
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${filename}.csv"`);
    res.send(toCsv(model));
    return;
  }
  checkPngCost(model, size.width, size.height);
  const png = await deps.png.render(downsampleToWidth(model, size.width), size);
  res.type('image/png').setHeader('Content-Disposition', `inline; filename="${filename}.png"`);
  res.send(png);
}
