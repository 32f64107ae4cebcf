import { Router } from 'express';
import { requireUser } from '../auth/middleware.js';
import type { AppDeps } from '../deps.js';
import { accountsRouter } from './accounts.js';
import { alertsRouter } from './alerts.js';
import { inventoryRouter } from './inventory.js';
import { viewsRouter } from './views.js';

const ENDPOINTS = [
  'users',
  'superusers',
  'groups',
  'tokens',
  'storages',
  'hosts',
  'plugins',
  'sources',
  'views',
  'multiviews',
  'skeletons',
  'events',
  'alerts/problems',
  'alerts/history',
  'alerts/rules',
  'alerts/contacts',
  'alerts/silences',
  'alerts/subscriptions',
];

/** `/rest/`: every route needs a user (anonymous → 401); each router checks the rest. */
export function restRouter(deps: AppDeps): Router {
  const r = Router();
  r.use(requireUser);
  r.get('/', (_req, res) => {
    res.json(Object.fromEntries(ENDPOINTS.map((e) => [e, `/rest/${e}/`])));
  });
  r.use(accountsRouter(deps));
  r.use(inventoryRouter(deps));
  r.use(viewsRouter(deps));
  r.use(alertsRouter(deps));
  return r;
}
