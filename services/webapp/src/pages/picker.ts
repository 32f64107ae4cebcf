import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { ListQuery, PickerQuery, type PickerSearch, PickerSearchQuery } from '../../../../common/schemas/index.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { HttpError, NotFoundError } from '../http-errors.js';
import { pluginsOfHost, searchHosts, sourcesById, sourcesOfPlugin, viewsById } from '../repos/picker.js';
import { searchSources } from '../repos/source-search.js';
import { searchViews } from '../repos/view-search.js';
import { idParam, parseQuery } from '../rest/common.js';

/** Most plugins of a host and sources of a plugin one expand loads. */
const EXPAND_LIMIT = 500;

/**
 * JSON for the pages' pickers, with the session of the page and the permissions of everywhere
 * (a host the user may not see is a 404, and never listed):
 * - `GET /picker/hosts?q=&limit=&after=`: the host picker of `/dashboards`, the view editor's
 *   tree and its "Show more" (`after` = the `next` of the page before);
 * - `GET /picker/hosts/:id/plugins`, `GET /picker/plugins/:id/sources`: the view editor's tree,
 *   one level per expand;
 * - `GET /picker/sources?q=&limit=&after=`: the view editor's search, and its "Show more";
 * - `GET /picker/search?q=&sources=&hosts=`: one keystroke of the view editor, the sources and
 *   the tree's hosts in one request;
 * - `GET /picker/sources?id=1,2`: labels of the sources a view already has;
 * - `GET /picker/views?q=&limit=`, `?id=1,2`: the dashboard editor's view search, and the names
 *   of the views a dashboard already has.
 */
export function pickerRouter(deps: AppDeps): Router {
  const r = express.Router();
  const wrap =
    (fn: (req: Request, res: Response, user: AuthUser) => Promise<unknown>) => (req: Request, res: Response, next: NextFunction) =>
      fn(req, res, req.user as AuthUser)
        .then((body) => res.set('Cache-Control', 'no-store').json(body))
        .catch(next);
  // JSON for scripts: no redirect to the login page, a 401 the page can show.
  r.use('/picker', (req, _res, next) => next(req.user ? undefined : new HttpError(401, 'authentication required')));
  r.get(
    '/picker/hosts',
    wrap(async (req, _res, user) => {
      const q = parseQuery(PickerQuery, req);
      return searchHosts(deps.pool, deps.access.hostScope(user), q.q, q.limit, q.after);
    }),
  );
  r.get(
    '/picker/hosts/:id/plugins',
    wrap(async (req, _res, user) => {
      const host = await deps.access.host(user, idParam(req));
      if (!host) throw new NotFoundError();
      return pluginsOfHost(deps.pool, host.id, EXPAND_LIMIT);
    }),
  );
  r.get(
    '/picker/plugins/:id/sources',
    wrap(async (req, _res, user) => {
      const plugin = await deps.access.plugin(user, idParam(req));
      if (!plugin) throw new NotFoundError();
      return sourcesOfPlugin(deps.pool, plugin.id, EXPAND_LIMIT);
    }),
  );
  r.get(
    '/picker/sources',
    wrap(async (req, _res, user) => {
      const scope = deps.access.hostScope(user);
      if (req.query.id !== undefined) {
        const ids = parseQuery(ListQuery.pick({ id: true }), req).id ?? [];
        return { results: await sourcesById(deps.pool, scope, ids), truncated: false };
      }
      const q = parseQuery(PickerQuery, req);
      const found = await searchSources(deps.pool, scope, q.q, q.limit, q.after);
      return { results: found.results, truncated: found.truncated, next: found.next };
    }),
  );
  r.get(
    '/picker/search',
    wrap(async (req, _res, user): Promise<PickerSearch> => {
      const scope = deps.access.hostScope(user);
      const q = parseQuery(PickerSearchQuery, req);
      const [found, hosts] = await Promise.all([
        q.q.length ? searchSources(deps.pool, scope, q.q, q.sources) : { results: [], truncated: false, next: null },
        searchHosts(deps.pool, scope, q.q, q.hosts),
      ]);
      return { sources: { results: found.results, truncated: found.truncated, next: found.next }, hosts };
    }),
  );
  r.get(
    '/picker/views',
    wrap(async (req, _res, user) => {
      const scope = deps.access.viewScope(user);
      if (req.query.id !== undefined) {
        const ids = parseQuery(ListQuery.pick({ id: true }), req).id ?? [];
        return { results: await viewsById(deps.pool, scope, ids), truncated: false };
      }
      const q = parseQuery(PickerQuery, req);
      return searchViews(deps.pool, scope, q.q, q.limit);
    }),
  );
  return r;
}
