import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { HealthResponse } from '../../../../common/schemas/index.js';
import type { Catalog } from './catalog.js';
import type { HealthProbes, ProbeResult } from './deps.js';

/**
 * `/health` (broker, Redis, disk: 200 when all are ok, 503 with the details otherwise)
 * and `/metrics` (the service's whole Prometheus registry, text format 0.0.4).
 */
const PROBE_TIMEOUT_MS = 2000;

export function healthRouter(catalog: Catalog, probes: HealthProbes): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [broker, redis, disk] = await Promise.all([
      probe(() => probes.broker()),
      probe(async () => {
        await catalog.ping();
        return { ok: true };
      }),
      probe(() => probes.disk()),
    ]);
    const checks = { broker, redis, disk };
    const ok = Object.values(checks).every((check) => check.ok);
    const body: HealthResponse = { status: ok ? 'ok' : 'degraded', checks };
    res
      .status(ok ? 200 : 503)
      .setHeader('Cache-Control', 'no-store')
      .json(body);
  });
  return router;
}

export function metricsRouter(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (req, res, next) => {
    // Graphite's `/metrics?query=` is an alias of `/metrics/find`: leave it to that route.
    if (req.query.query !== undefined) {
      next('route');
      return;
    }
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}

async function probe(check: () => Promise<ProbeResult>): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${PROBE_TIMEOUT_MS} ms` }), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    return { ok: false, detail: (cause ?? (error as Error)).message };
  } finally {
    clearTimeout(timer);
  }
}
