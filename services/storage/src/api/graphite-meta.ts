import { Router } from 'express';
import { functionInfo, functionList, infinityJson } from '../query/registry.js';
import { NotFoundError, quote } from './errors.js';
import { optionalParam } from './params.js';

/**
 * Graphite metadata Grafana asks for: `/functions` (its query editor's function list, in
 * graphite-web's shape), `/version`, and the tag endpoints, which answer empty lists
 * (numeter series have no tags) instead of 404 error toasts.
 */
export const GRAPHITE_VERSION = '1.1.8';

export function graphiteMetaRouter(): Router {
  const router = Router();
  router.get('/functions', (req, res) => {
    const grouped = ['1', 'true'].includes((optionalParam(req, 'grouped') ?? '').toLowerCase());
    const group = optionalParam(req, 'group');
    const list = optionalParam(req, 'type') === 'pie' ? {} : functionList({ group, grouped });
    res.type('application/json').send(infinityJson(list));
  });
  router.get('/functions/:name', (req, res) => {
    const name = String(req.params.name);
    const info = optionalParam(req, 'type') === 'pie' ? undefined : functionInfo(name);
    if (!info) throw new NotFoundError(`function not found: ${quote(name)}`, 'name');
    res.type('application/json').send(infinityJson(info));
  });
  router.get('/version', (_req, res) => {
    res.type('text/plain').send(GRAPHITE_VERSION);
  });
  for (const path of ['/tags', '/tags/autoComplete/tags', '/tags/autoComplete/values', '/tags/findSeries']) {
    router.all(path, (_req, res) => {
      res.json([]);
    });
  }
  router.all('/events/get_data', (_req, res) => {
    res.json([]);
  });
  return router;
}
