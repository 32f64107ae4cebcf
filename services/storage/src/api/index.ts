import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { PngRenderPool } from '../../../../common/charts/index.js';
import { closeHttpServer, type DeadlineInput } from '../../../../common/lifecycle/index.js';
import { HostFiles } from '../files/host-files.js';
import { apiMetricsMiddleware } from './api-metrics.js';
import { Catalog } from './catalog.js';
import type { RouteContext } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorMiddleware, notFoundRoute } from './errors.js';
import { graphiteRouter } from './graphite-routes.js';
import { legacyRouter } from './legacy-routes.js';
import { healthRouter, metricsRouter } from './ops-routes.js';
import { ReadPool } from './read-pool.js';
import { requestBudgetMiddleware } from './request-budget.js';
import { searchRouter } from './search-route.js';
import { identifyMiddleware, rateLimitMiddleware, requireAuthMiddleware } from './security.js';
import { WhisperFiles } from './whisper-files.js';

export type { ApiConfig, ApiDeps, ApiSettings, HealthProbes, ProbeResult, WhisperReader } from './deps.js';
export { apiConfigFrom } from './settings.js';
export { WhisperFiles } from './whisper-files.js';

export interface ApiServer {
  app: Express;
  start(): Promise<{ port: number }>;
  /** Stops accepting connections, lets requests in flight finish until the deadline, then closes the rest. */
  stop(deadline?: DeadlineInput): Promise<void>;
}

/**
 * The storage REST API: the original Numeter endpoints, search, health, Prometheus
 * metrics and a Graphite-compatible render/find API, all under `config.api.prefix`.
 * Only `/health` is reachable without credentials when auth is configured.
 */
export function createApiServer(deps: ApiDeps): ApiServer {
  const settings = deps.config.api;
  const files = new HostFiles(deps.config.wspPath, deps.config.wspPathMd5Char, deps.clock);
  const catalog = new Catalog(deps.index, files, deps.config.wspPath, deps.logger);
  const ownPng = deps.png ? null : new PngRenderPool();
  const png = deps.png ?? (ownPng as PngRenderPool);
  const ownFiles = deps.whisper ? null : new WhisperFiles();
  const ctx: RouteContext = {
    catalog,
    whisper: deps.whisper ?? (ownFiles as WhisperFiles),
    settings,
    clock: deps.clock,
    logger: deps.logger,
    png,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('json escape', true); // <, > and & as \u003c… so JSON is inert even if sniffed as HTML
  app.set('query parser', 'simple');
  app.set('trust proxy', settings.trustProxy);
  app.use(helmet());
  app.use(apiMetricsMiddleware(deps.metrics, settings.prefix));

  const api = express.Router();
  api.use(healthRouter(catalog, deps.health));
  api.use(requestBudgetMiddleware(new ReadPool(settings.maxReadPointsInFlight)));
  api.use(identifyMiddleware(settings));
  const limiter = rateLimitMiddleware(settings);
  if (limiter) api.use(limiter);
  const auth = requireAuthMiddleware(settings);
  if (auth) api.use(auth);
  api.use(metricsRouter(deps.metrics));
  api.use(legacyRouter(ctx));
  api.use(searchRouter(ctx));
  api.use(graphiteRouter(ctx));
  app.use(settings.prefix || '/', api);
  app.use(notFoundRoute);
  app.use(errorMiddleware(deps.logger));

  let server: Server | null = null;
  return {
    app,
    start() {
      ownPng?.start();
      if (server) return Promise.resolve({ port: (server.address() as AddressInfo).port });
      return new Promise((resolve, reject) => {
        const s = app.listen(settings.port, settings.listen);
        s.once('error', reject);
        s.once('listening', () => {
          server = s;
          const { port } = s.address() as AddressInfo;
          deps.logger.info({ listen: settings.listen, port, prefix: settings.prefix }, 'API listening');
          resolve({ port });
        });
      });
    },
    async stop(deadline = 5000) {
      const s = server;
      if (!s) return;
      server = null;
      await closeHttpServer(s, deadline);
      // Workers start on the first PNG; after the last request they are ended (a render in flight fails).
      await ownPng?.stop();
      await ownFiles?.close();
    },
  };
}
