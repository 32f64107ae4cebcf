import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Request counters and latency of the API, in the service's registry. The route label
 * is the matched route pattern (never the raw URL), so clients cannot grow the number
 * of series.
 */
const REQUESTS = 'numeter_storage_api_requests_total';
const DURATION = 'numeter_storage_api_request_duration_seconds';

export function apiMetricsMiddleware(registry: Registry, prefix: string): RequestHandler {
  const requests =
    (registry.getSingleMetric(REQUESTS) as Counter<'route' | 'method' | 'status'> | undefined) ??
    new Counter({
      name: REQUESTS,
      help: 'API requests answered, by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<'route'> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'API request latency in seconds, by route',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Every route lives under the prefix; req.baseUrl is already reset when an error handler answered.
      const route = typeof req.route?.path === 'string' ? `${prefix}${req.route.path}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc({ route, method: req.method, status: String(res.statusCode) });
      duration.observe({ route }, seconds);
    });
    next();
  };
}
