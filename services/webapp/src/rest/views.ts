import { Router } from 'express';
import {
  CreateViewIn,
  EventIn,
  EventPatch,
  ExtendedDataQuery,
  MultiviewIn,
  MultiviewPatch,
  SkeletonIn,
  SkeletonPatch,
  ViewIn,
  ViewPatch,
} from '../../../../common/schemas/index.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { viewExtendedData } from '../extended-data.js';
import { ValidationError } from '../http-errors.js';
import { createViewFromSkeleton, partIn } from '../skeletons.js';
import { found, idParam, listPage, parseBody, parseQuery, requireSuper, user } from './common.js';
import { listDelete } from './list-delete.js';
import { out } from './serializers.js';

/** Every id must name an object the user may see; the error names the offending list entry. */
async function checkVisible(field: string, ids: readonly number[] | undefined, canSee: (id: number) => Promise<boolean>): Promise<void> {
  for (const [i, id] of (ids ?? []).entries())
    if (!(await canSee(id))) throw new ValidationError(`${field}.${i}: no such object (${id})`, `${field}.${i}`);
}

/** A user's new view/multiview is shared with them, or they could not see it. */
function withCreator(u: AuthUser, users: number[]): number[] {
  return u.isSuperuser || users.includes(u.id) ? users : [...users, u.id];
}

function checkRightAxis(sources: number[], right: number[]): void {
  right.forEach((id, i) => {
    if (!sources.includes(id)) throw new ValidationError(`right_axis.${i}: source ${id} is not in sources`, `right_axis.${i}`);
  });
}

/** `/rest/views`, `/rest/multiviews`, `/rest/skeletons`, `/rest/events`. */
export function viewsRouter(deps: AppDeps): Router {
  const r = Router();
  viewRoutes(r, deps);
  multiviewRoutes(r, deps);
  skeletonRoutes(r, deps);
  eventRoutes(r, deps);
  return r;
}

function viewRoutes(r: Router, deps: AppDeps): void {
  const { views } = deps.repos;
  const { access } = deps;
  const sourceVisible = (u: AuthUser) => async (id: number) => (await access.source(u, id)) !== null;
  r.get('/views', async (req, res) => {
    res.json(await listPage(req, (page) => views.list(page, access.viewScope(user(req))), out.view));
  });
  r.get('/views/:id', async (req, res) => {
    res.json(out.view(found(await access.view(user(req), idParam(req)))));
  });
  r.post('/views', async (req, res) => {
    const u = user(req);
    const b = parseBody(ViewIn, req);
    await checkVisible('sources', b.sources, sourceVisible(u));
    checkRightAxis(b.sources, b.right_axis);
    const id = await views.create({ ...b, rightAxis: b.right_axis, users: withCreator(u, b.users) });
    res.status(201).json(out.view(found(await views.get(id))));
  });
  r.patch('/views/:id', async (req, res) => {
    const u = user(req);
    const view = found(await access.view(u, idParam(req)));
    const b = parseBody(ViewPatch, req);
    await checkVisible('sources', b.sources, sourceVisible(u));
    const sources = b.sources ?? view.sources;
    // sources removed from the view leave the right axis with them
    const rightAxis = b.right_axis ?? view.rightAxis.filter((s) => sources.includes(s));
    checkRightAxis(sources, rightAxis);
    await views.update(view.id, { ...b, rightAxis });
    res.json(out.view(found(await views.get(view.id))));
  });
  r.delete('/views/:id', async (req, res) => {
    const view = found(await access.view(user(req), idParam(req)));
    await views.delete(view.id);
    res.status(204).end();
  });
  r.get('/views/:id/extended_data', async (req, res) => {
    const u = user(req);
    const view = found(await access.view(u, idParam(req)));
    res.json(await viewExtendedData(deps, u, view, parseQuery(ExtendedDataQuery, req)));
  });
  listDelete(
    r,
    '/views',
    (u, id) => access.canSeeView(u, id),
    (id) => views.delete(id),
  );
}

function multiviewRoutes(r: Router, deps: AppDeps): void {
  const { multiviews } = deps.repos;
  const { access } = deps;
  const viewVisible = (u: AuthUser) => (id: number) => access.canSeeView(u, id);
  r.get('/multiviews', async (req, res) => {
    res.json(await listPage(req, (page) => multiviews.list(page, access.multiviewScope(user(req))), out.multiview));
  });
  r.get('/multiviews/:id', async (req, res) => {
    res.json(out.multiview(found(await access.multiview(user(req), idParam(req)))));
  });
  r.post('/multiviews', async (req, res) => {
    const u = user(req);
    const b = parseBody(MultiviewIn, req);
    await checkVisible('views', b.views, viewVisible(u));
    const id = await multiviews.create({ ...b, users: withCreator(u, b.users) });
    res.status(201).json(out.multiview(found(await multiviews.get(id))));
  });
  r.patch('/multiviews/:id', async (req, res) => {
    const u = user(req);
    const mv = found(await access.multiview(u, idParam(req)));
    const b = parseBody(MultiviewPatch, req);
    await checkVisible('views', b.views, viewVisible(u));
    await multiviews.update(mv.id, b);
    res.json(out.multiview(found(await multiviews.get(mv.id))));
  });
  r.delete('/multiviews/:id', async (req, res) => {
    const mv = found(await access.multiview(user(req), idParam(req)));
    await multiviews.delete(mv.id);
    res.status(204).end();
  });
  listDelete(
    r,
    '/multiviews',
    async (u, id) => (await access.multiview(u, id)) !== null,
    (id) => multiviews.delete(id),
  );
}

/** Skeletons: everyone reads and uses them; superusers edit. */
function skeletonRoutes(r: Router, deps: AppDeps): void {
  const { skeletons } = deps.repos;
  r.get('/skeletons', async (req, res) => {
    user(req);
    res.json(await listPage(req, (page) => skeletons.list(page), out.skeleton));
  });
  r.get('/skeletons/:id', async (req, res) => {
    user(req);
    res.json(out.skeleton(found(await skeletons.get(idParam(req)))));
  });
  r.post('/skeletons', async (req, res) => {
    requireSuper(req);
    const b = parseBody(SkeletonIn, req);
    const id = await skeletons.create({
      name: b.name,
      pluginPattern: b.plugin_pattern,
      sourcePattern: b.source_pattern,
      comment: b.comment,
      parts: b.parts.map(partIn),
      populate: b.populate,
    });
    res.status(201).json(out.skeleton(found(await skeletons.get(id))));
  });
  r.patch('/skeletons/:id', async (req, res) => {
    requireSuper(req);
    const s = found(await skeletons.get(idParam(req)));
    const b = parseBody(SkeletonPatch, req);
    await skeletons.update(s.id, {
      name: b.name,
      pluginPattern: b.plugin_pattern,
      sourcePattern: b.source_pattern,
      comment: b.comment,
      parts: b.parts?.map(partIn),
      populate: b.populate,
    });
    res.json(out.skeleton(found(await skeletons.get(s.id))));
  });
  r.delete('/skeletons/:id', async (req, res) => {
    requireSuper(req);
    found((await skeletons.delete(idParam(req))) || null);
    res.status(204).end();
  });
  listDelete(
    r,
    '/skeletons',
    async (u) => u.isSuperuser,
    (id) => skeletons.delete(id),
  );
  skeletonCreateViewRoute(r, deps);
}

/** `POST /skeletons/:id/create_view`: one view over hosts the user may see, shared with them. */
function skeletonCreateViewRoute(r: Router, deps: AppDeps): void {
  r.post('/skeletons/:id/create_view', async (req, res) => {
    const u = user(req);
    const skeleton = found(await deps.repos.skeletons.get(idParam(req)));
    const b = parseBody(CreateViewIn, req);
    await checkVisible('hosts', b.hosts, (id) => deps.access.canSeeHost(u, id));
    const hosts = await Promise.all(b.hosts.map(async (id) => found(await deps.repos.hosts.get(id))));
    const { viewId } = await createViewFromSkeleton(deps, skeleton, hosts, { name: b.name, users: u.isSuperuser ? [] : [u.id] });
    res.status(201).json(out.view(found(await deps.repos.views.get(viewId))));
  });
}

/** An event a user may see (through one of its hosts), or null. */
async function eventVisibleTo(deps: AppDeps, u: AuthUser, id: number) {
  const e = await deps.repos.events.get(id);
  if (!e) return null;
  if (u.isSuperuser) return e;
  for (const h of e.hosts) if (await deps.access.canSeeHost(u, h)) return e;
  return null;
}

/** Events: visible through their hosts. */
function eventRoutes(r: Router, deps: AppDeps): void {
  const { events } = deps.repos;
  const { access } = deps;
  const hostVisible = (u: AuthUser) => (id: number) => access.canSeeHost(u, id);
  r.get('/events', async (req, res) => {
    res.json(await listPage(req, (page) => events.list(page, access.eventScope(user(req))), out.event));
  });
  const visibleEvent = (u: AuthUser, id: number) => eventVisibleTo(deps, u, id);
  r.get('/events/:id', async (req, res) => {
    res.json(out.event(found(await visibleEvent(user(req), idParam(req)))));
  });
  r.post('/events', async (req, res) => {
    const u = user(req);
    const b = parseBody(EventIn, req);
    if (!u.isSuperuser && !b.hosts.length) throw new ValidationError('hosts: at least one host', 'hosts');
    await checkVisible('hosts', b.hosts, hostVisible(u));
    const id = await events.create({
      name: b.name,
      shortText: b.short_text,
      date: b.date ?? deps.now(),
      comment: b.comment,
      hosts: b.hosts,
    });
    res.status(201).json(out.event(found(await events.get(id))));
  });
  r.patch('/events/:id', async (req, res) => {
    const u = user(req);
    const e = found(await visibleEvent(u, idParam(req)));
    const b = parseBody(EventPatch, req);
    await checkVisible('hosts', b.hosts, hostVisible(u));
    await events.update(e.id, { name: b.name, shortText: b.short_text, date: b.date, comment: b.comment, hosts: b.hosts });
    res.json(out.event(found(await events.get(e.id))));
  });
  r.delete('/events/:id', async (req, res) => {
    const e = found(await visibleEvent(user(req), idParam(req)));
    await events.delete(e.id);
    res.status(204).end();
  });
  listDelete(
    r,
    '/events',
    async (u, id) => (await visibleEvent(u, id)) !== null,
    (id) => events.delete(id),
  );
}
