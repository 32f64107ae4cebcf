import { Router } from 'express';
import type { SearchResponse } from '../../../../common/schemas/index.js';
import type { RouteContext } from './context.js';
import { BadParameterError } from './errors.js';
import { positiveIntParam, requiredParam } from './params.js';
import { TimeSlice } from './time-slice.js';

/**
 * `/search?q=&limit=`: hosts (ID or name), plugins (name or title) and data sources
 * (name or label) containing q, case-insensitively; at most `limit` (default 100, max
 * 1000) entries per kind, `truncated` says when more exist (or when the search stopped at
 * MAX_SCANNED entries). Hosts are read 500 at a time, one index round trip each, and the
 * walk stops as soon as every list is full.
 */
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_QUERY = 200;
/** Hosts whose plugins are read in one index round trip. */
const HOSTS_PER_BATCH = 500;
/**
 * Plugins and data sources one search may look at (400,000 sources at 10,000 hosts fit):
 * past it the answer says `truncated` instead of reading on.
 */
const MAX_SCANNED = 1_000_000;

export function searchRouter(ctx: RouteContext): Router {
  const router = Router();
  router.get('/search', async (req, res) => {
    const q = requiredParam(req, 'q');
    if (q.length > MAX_QUERY) throw new BadParameterError('q', `q is longer than ${MAX_QUERY} characters`);
    const limit = positiveIntParam(req, 'limit') ?? DEFAULT_LIMIT;
    if (limit > MAX_LIMIT) throw new BadParameterError('limit', `limit must be at most ${MAX_LIMIT}`);
    const needle = q.toLowerCase();
    const has = (...texts: unknown[]) => texts.some((t) => typeof t === 'string' && t.toLowerCase().includes(needle));
    const out: SearchResponse = { hosts: [], plugins: [], dataSources: [], truncated: false };
    const push = <T>(list: T[], item: T) => {
      if (list.length < limit) list.push(item);
      else out.truncated = true;
    };
    const hosts = await ctx.catalog.hosts();
    const hostIds = [...new Set([...Object.keys(hosts), ...(await ctx.catalog.hostIds())])].sort();
    const full = () => out.hosts.length >= limit && out.plugins.length >= limit && out.dataSources.length >= limit;
    const slice = new TimeSlice();
    let scanned = 0;
    // Hosts in batches (one index round trip each), stopping once every list is full or the work bound is reached.
    for (let i = 0; i < hostIds.length && !(out.truncated && full()); i += HOSTS_PER_BATCH) {
      if (scanned >= MAX_SCANNED) {
        out.truncated = true;
        break;
      }
      const batch = hostIds.slice(i, i + HOSTS_PER_BATCH);
      const pluginsOf = await ctx.catalog.pluginsOfHosts(batch);
      for (const host of batch) {
        if (slice.due()) await slice.next();
        const name = typeof hosts[host]?.Name === 'string' ? (hosts[host].Name as string) : host;
        if (has(host, name)) push(out.hosts, { host, name });
        for (const [plugin, info] of Object.entries(pluginsOf.get(host) ?? {})) {
          scanned++;
          const title = typeof info.Title === 'string' ? info.Title : '';
          if (has(plugin, title)) push(out.plugins, { host, plugin, title });
          const fields = info.Infos && typeof info.Infos === 'object' ? (info.Infos as Record<string, unknown>) : {};
          for (const [ds, field] of Object.entries(fields)) {
            scanned++;
            const label = typeof (field as { label?: unknown })?.label === 'string' ? (field as { label: string }).label : '';
            if (has(ds, label)) push(out.dataSources, { host, plugin, ds, label });
          }
        }
        if (out.truncated && full()) break;
      }
    }
    res.json(out);
  });
  return router;
}
