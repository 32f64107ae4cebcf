import { Router } from 'express';
import { z } from 'zod';
import { ExtendedDataQuery } from '../../../common/schemas/index.js';
import { requireUser } from './auth/middleware.js';
import type { AppDeps } from './deps.js';
import { found, parseQuery, user } from './rest/common.js';

const HostQuery = z.object({ host: z.string().min(1).max(300) });
const PluginQuery = HostQuery.extend({ plugin: z.string().min(1).max(200) });
const DataQuery = ExtendedDataQuery.merge(PluginQuery).extend({ ds: z.string().min(1).max(10_000) });

/**
 * `/wide-storage/`: the storages' API seen through the webapp, for logged-in users and only for
 * hosts they may see (others are 404, as if they did not exist). `host` is the storage host ID.
 */
export function wideStorageRouter(deps: AppDeps): Router {
  const r = Router();
  r.use(requireUser);
  const visible = async (req: Parameters<typeof user>[0], hostid: string) => found(await deps.access.hostByHostid(user(req), hostid));

  r.get('/hosts', async (req, res) => {
    const { hosts } = await deps.storages.allHosts();
    const mine = new Set((await deps.access.visibleHosts(user(req))).map((h) => h.hostid));
    res.json(Object.fromEntries([...hosts].filter(([hostid]) => mine.has(hostid)).map(([hostid, h]) => [hostid, h.info])));
  });
  r.get('/hinfo', async (req, res) => {
    res.json(await deps.storages.getHostInfo(await visible(req, parseQuery(HostQuery, req).host)));
  });
  r.get('/list', async (req, res) => {
    res.json(await deps.storages.getPluginList(await visible(req, parseQuery(HostQuery, req).host)));
  });
  /** As the original: the plugin's data source names, not the storage's `/info`. */
  r.get('/info', async (req, res) => {
    const q = parseQuery(PluginQuery, req);
    res.json(Object.keys((await deps.storages.getPluginInfo(await visible(req, q.host), q.plugin)).Infos));
  });
  r.get('/data', async (req, res) => {
    const q = parseQuery(DataQuery, req);
    const host = await visible(req, q.host);
    const ds = q.ds.split(',').filter(Boolean);
    res.json(
      await deps.storages.getData(host, q.plugin, ds, {
        res: q.from === undefined ? q.res : undefined,
        from: q.from,
        until: q.until,
        maxDataPoints: q.maxDataPoints,
      }),
    );
  });
  return r;
}
