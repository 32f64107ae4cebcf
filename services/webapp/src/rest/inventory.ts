import { Router } from 'express';
import { z } from 'zod';
import {
  CreateHostsIn,
  CreatePluginsIn,
  CreateSourcesIn,
  ExtendedDataQuery,
  HostIn,
  HostPatch,
  PluginPatch,
  SourcePatch,
  StorageIn,
  StoragePatch,
} from '../../../../common/schemas/index.js';
import type { AppDeps } from '../deps.js';
import { pluginExtendedData, sourceExtendedData } from '../extended-data.js';
import { HttpError, ValidationError } from '../http-errors.js';
import { createHostsFromStorage, createPluginsFromStorage, createSourcesFromStorage } from '../inventory-sync.js';
import { found, idParam, listPage, parseBody, parseQuery, requireSuper, user } from './common.js';
import { listDelete } from './list-delete.js';
import { out } from './serializers.js';

const PluginQuery = ExtendedDataQuery.extend({ plugin: z.string().min(1).max(200) });

const superOnly = async (u: { isSuperuser: boolean }) => u.isSuperuser;

/** `/rest/storages`, `/rest/hosts`, `/rest/plugins`, `/rest/sources` and their extra actions. */
export function inventoryRouter(deps: AppDeps): Router {
  const r = Router();
  storageRoutes(r, deps);
  hostRoutes(r, deps);
  pluginRoutes(r, deps);
  sourceRoutes(r, deps);
  return r;
}

/** Storages: superusers only. */
function storageRoutes(r: Router, deps: AppDeps): void {
  const { storages } = deps.repos;
  r.get('/storages', async (req, res) => {
    requireSuper(req);
    res.json(await listPage(req, (page) => storages.list(page), out.storage));
  });
  r.get('/storages/:id', async (req, res) => {
    requireSuper(req);
    res.json(out.storage(found(await storages.get(idParam(req)))));
  });
  r.post('/storages', async (req, res) => {
    requireSuper(req);
    const b = parseBody(StorageIn, req);
    const id = await storages.create({ ...b, urlPrefix: b.url_prefix });
    res.status(201).json(out.storage(found(await storages.get(id))));
  });
  r.patch('/storages/:id', async (req, res) => {
    requireSuper(req);
    const id = idParam(req);
    found(await storages.get(id));
    const b = parseBody(StoragePatch, req);
    await storages.update(id, { ...b, urlPrefix: b.url_prefix });
    res.json(out.storage(found(await storages.get(id))));
  });
  r.delete('/storages/:id', async (req, res) => {
    requireSuper(req);
    found((await storages.delete(idParam(req))) || null);
    res.status(204).end();
  });
  r.post('/storages/:id/create_hosts', async (req, res) => {
    requireSuper(req);
    const storage = found(await storages.get(idParam(req)));
    const { created } = await createHostsFromStorage(deps, storage, parseBody(CreateHostsIn, req).hosts);
    if (!created.length) res.status(204).end();
    else res.status(201).json(created.map(out.host));
  });
  listDelete(r, '/storages', superOnly, (id) => storages.delete(id));
}

/** Hosts: everyone sees their groups' hosts; changes are for superusers. */
function hostRoutes(r: Router, deps: AppDeps): void {
  const { hosts } = deps.repos;
  const { access } = deps;
  r.get('/hosts', async (req, res) => {
    res.json(await listPage(req, (page) => hosts.list(page, access.hostScope(user(req))), out.host));
  });
  r.get('/hosts/:id', async (req, res) => {
    res.json(out.host(found(await access.host(user(req), idParam(req)))));
  });
  r.post('/hosts', async (req, res) => {
    requireSuper(req);
    const body = parseBody(HostIn, req);
    const storage = await deps.storages.whichStorage(body.hostid);
    if (!storage) throw new ValidationError('No host with this ID found on any storage.', 'hostid');
    const info = await deps.storages.clientFor(storage).getHostInfo(body.hostid);
    const { host } = await hosts.upsert(body.hostid, info.Name || body.hostid, storage.id, body.group ?? null);
    res.status(201).json(out.host(host));
  });
  r.patch('/hosts/:id', async (req, res) => {
    const host = found(await access.host(user(req), idParam(req)));
    requireSuper(req);
    const b = parseBody(HostPatch, req);
    await hosts.update(host.id, { name: b.name, storageId: b.storage, groupId: b.group });
    res.json(out.host(found(await hosts.get(host.id))));
  });
  r.delete('/hosts/:id', async (req, res) => {
    const host = found(await access.host(user(req), idParam(req)));
    requireSuper(req);
    await hosts.delete(host.id);
    res.status(204).end();
  });
  r.post('/hosts/:id/create_plugins', async (req, res) => {
    const host = found(await access.host(user(req), idParam(req)));
    const { created } = await createPluginsFromStorage(deps, host, parseBody(CreatePluginsIn, req).plugins);
    if (!created.length) res.status(204).end();
    else res.status(201).json(created.map(out.plugin));
  });
  r.get('/hosts/:id/plugin_extended_data', async (req, res) => {
    const host = found(await access.host(user(req), idParam(req)));
    const q = parseQuery(PluginQuery, req);
    res.json(await pluginExtendedData(deps, host, q.plugin, q));
  });
  listDelete(r, '/hosts', superOnly, (id) => hosts.delete(id));
}

/** Plugins: visible through their host; edits for superusers. */
function pluginRoutes(r: Router, deps: AppDeps): void {
  const { hosts, plugins } = deps.repos;
  const { access } = deps;
  r.get('/plugins', async (req, res) => {
    res.json(await listPage(req, (page) => plugins.list(page, access.hostScope(user(req))), out.plugin));
  });
  r.get('/plugins/:id', async (req, res) => {
    res.json(out.plugin(found(await access.plugin(user(req), idParam(req)))));
  });
  r.post('/plugins', (req) => {
    user(req);
    throw new HttpError(403, 'plugins are created from the storage: POST /rest/hosts/:id/create_plugins');
  });
  r.patch('/plugins/:id', async (req, res) => {
    const plugin = found(await access.plugin(user(req), idParam(req)));
    requireSuper(req);
    await plugins.update(plugin.id, parseBody(PluginPatch, req));
    res.json(out.plugin(found(await plugins.get(plugin.id))));
  });
  r.delete('/plugins/:id', async (req, res) => {
    const plugin = found(await access.plugin(user(req), idParam(req)));
    requireSuper(req);
    await plugins.delete(plugin.id);
    res.status(204).end();
  });
  r.post('/plugins/:id/create_sources', async (req, res) => {
    const plugin = found(await access.plugin(user(req), idParam(req)));
    const host = found(await hosts.get(plugin.hostId));
    const created = await createSourcesFromStorage(deps, host, plugin, parseBody(CreateSourcesIn, req).sources);
    if (!created.length) res.status(204).end();
    else res.status(201).json(created.map((s) => out.source(s)));
  });
  listDelete(r, '/plugins', superOnly, (id) => plugins.delete(id));
}

/** Sources: visible through their host; edits for superusers. */
function sourceRoutes(r: Router, deps: AppDeps): void {
  const { sources } = deps.repos;
  const { access } = deps;
  r.get('/sources', async (req, res) => {
    res.json(
      await listPage(
        req,
        (page) => sources.list(page, access.hostScope(user(req))),
        (s) => out.source(s),
      ),
    );
  });
  r.get('/sources/:id', async (req, res) => {
    const source = found(await access.source(user(req), idParam(req)));
    const [path] = await sources.withPath([source.id]);
    res.json(out.source(source, `${path.host.name} - ${path.plugin.name} - ${source.name}`));
  });
  r.post('/sources', (req) => {
    user(req);
    throw new HttpError(403, 'sources are created from the storage: POST /rest/plugins/:id/create_sources');
  });
  r.patch('/sources/:id', async (req, res) => {
    const source = found(await access.source(user(req), idParam(req)));
    requireSuper(req);
    await sources.update(source.id, parseBody(SourcePatch, req));
    res.json(out.source(found(await sources.get(source.id))));
  });
  r.delete('/sources/:id', async (req, res) => {
    const source = found(await access.source(user(req), idParam(req)));
    requireSuper(req);
    await sources.delete(source.id);
    res.status(204).end();
  });
  r.get('/sources/:id/extended_data', async (req, res) => {
    const source = found(await access.source(user(req), idParam(req)));
    const [path] = await sources.withPath([source.id]);
    res.json(await sourceExtendedData(deps, path, parseQuery(ExtendedDataQuery, req)));
  });
  listDelete(r, '/sources', superOnly, (id) => sources.delete(id));
}
