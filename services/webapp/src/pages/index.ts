import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { csrfToken } from '../auth/csrf.js';
import { requirePageUser } from '../auth/middleware.js';
import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { groupBy } from '../grouping.js';
import { StorageError } from '../storage-client/errors.js';
import { assetsRouter } from './assets.js';
import { dashboardEditor, viewEditor } from './editors.js';
import { html, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { pickerRouter } from './picker.js';
import { problemsRouter } from './problems.js';

/**
 * Server-rendered page shells (host tree, host, dashboards, views, admin, login). Graphs are
 * drawn by the browser client (`client/`) from the REST API; everything from pollers or users
 * goes through the `html` escaping template.
 */
export function pagesRouter(deps: AppDeps): Router {
  const r = express.Router();
  r.use(assetsRouter());
  r.use(problemsRouter(deps));
  r.use(pickerRouter(deps));
  const page = (
    req: Request,
    res: Response,
    title: string,
    body: SafeHtml,
    extra: { script?: string; active?: 'hosts' | 'dashboards' | 'admin' } = {},
  ) => {
    res.type('html').send(layout({ title, user: req.user, csrf: csrfToken(req), body, ...extra }));
  };
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) =>
    fn(req, res).catch(next);
  const user = (req: Request) => req.user as AuthUser;

  r.get('/login', (req, res) => {
    const next = typeof req.query.next === 'string' && /^\/(?!\/)/.test(req.query.next) ? req.query.next : '/';
    page(
      req,
      res,
      'Log in',
      html`<form class="card login" method="post" action="/login">
  <h1>numeter</h1>
  ${req.query.error ? html`<p class="error" role="alert">Wrong user name or password.</p>` : ''}
  <input type="hidden" name="_csrf" value="${csrfToken(req)}"><input type="hidden" name="next" value="${next}">
  <label>User name <input name="username" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" class="primary">Log in</button>
</form>`,
    );
  });

  r.get(
    '/',
    requirePageUser,
    wrap(async (req, res) => page(req, res, 'Hosts', await hostTree(deps, user(req)), { active: 'hosts' })),
  );

  r.get(
    '/hosts/:id',
    requirePageUser,
    wrap(async (req, res) => {
      const host = await deps.access.host(user(req), Number(req.params.id));
      if (!host) return notFound(req, res, page);
      let body: SafeHtml;
      try {
        const plugins = await deps.storages.getPluginList(host);
        const byCategory = groupBy(
          Object.entries(plugins).map(([name, info]) => ({ name, title: info.Title, category: info.Category || 'other' })),
          (p) => p.category,
        );
        const categories = [...byCategory.keys()].sort();
        body = html`<div class="page-head"><h1>${host.name}</h1><span class="muted">${host.hostid}</span><a class="button head-action" href="/alerts/history?host=${host.id}">Alert history</a></div>
${toolbar()}
<nav class="categories">${categories.map((c) => html`<a href="#cat-${c}">${c}</a>`)}</nav>
${categories.map(
  (c) =>
    html`<section class="category" id="cat-${c}"><h2>${c}</h2><div class="graphs">${(byCategory.get(c) ?? [])
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => graphCard({ kind: 'plugin', host: host.id, plugin: p.name, title: p.title }))}</div></section>`,
)}`;
      } catch (error) {
        // a storage error names the storage, never its address; anything else is a 500
        if (!(error instanceof StorageError)) throw error;
        body = html`<h1>${host.name}</h1><p class="error">${error.message}</p>`;
      }
      page(req, res, host.name, body, { script: 'graphs', active: 'hosts' });
    }),
  );

  r.get(
    '/dashboards',
    requirePageUser,
    wrap(async (req, res) => {
      const u = user(req);
      const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
      const pageNumber = (name: string) => Math.min(1_000_000, Math.max(1, Number.parseInt(String(req.query[name] ?? '1'), 10) || 1));
      const [multiviews, views, skeletons] = await Promise.all([
        deps.repos.multiviews.list({ page: pageNumber('dpage'), pageSize: LIST_PAGE_SIZE, q }, deps.access.multiviewScope(u)),
        deps.repos.views.list({ page: pageNumber('vpage'), pageSize: LIST_PAGE_SIZE, q }, deps.access.viewScope(u)),
        deps.repos.skeletons.all(),
      ]);
      const pager = (name: string, current: number, count: number) => pageLinks(req.query, name, current, count);
      const body = html`<div class="page-head"><h1>Dashboards</h1>
<form class="search" method="get" action="/dashboards" role="search"><input type="search" name="q" value="${q}" placeholder="Search dashboards and views" aria-label="Search dashboards and views"><button type="submit">Search</button></form></div>
<div class="columns">
<section class="card"><div class="card-head"><h2>Dashboards <span class="muted" id="dashboard-count">${multiviews.count}</span></h2><a class="button" href="/dashboards/new">New dashboard</a></div><ul class="list" id="dashboard-list">${multiviews.rows.map((m) => html`<li><a href="/dashboards/${m.id}">${m.name}</a> <span class="row-end"><span class="muted">${m.views.length} views</span><a href="/dashboards/${m.id}/edit" class="edit">Edit</a></span></li>`)}</ul>
${multiviews.count ? pager('dpage', pageNumber('dpage'), multiviews.count) : html`<p class="muted">${q ? 'No dashboard matches.' : 'No dashboard yet.'}</p>`}</section>
<section class="card"><div class="card-head"><h2>Views <span class="muted" id="view-count">${views.count}</span></h2><a class="button" href="/views/new">New view</a></div><ul class="list" id="view-list">${views.rows.map((v) => html`<li><a href="/views/${v.id}">${v.name}</a> <span class="row-end"><span class="muted">${v.sources.length} series</span><a href="/views/${v.id}/edit" class="edit">Edit</a></span></li>`)}</ul>
${views.count ? pager('vpage', pageNumber('vpage'), views.count) : html`<p class="muted">${q ? 'No view matches.' : 'No view yet.'}</p>`}</section>
<section class="card"><h2>Build a dashboard from a skeleton</h2>
<form id="skeleton-form" class="stack">
<label>Skeleton <select name="skeleton" required>${skeletons.map((s) => html`<option value="${s.id}">${s.name} (${s.pluginPattern} / ${s.sourcePattern})</option>`)}</select></label>
<fieldset><legend>Hosts</legend>
<input type="search" id="host-search" placeholder="Type a host name" aria-label="Search hosts" autocomplete="off">
<ul class="list picker-results" id="host-results"></ul><p class="muted" id="host-more" hidden>More hosts match: type more of the name.</p>
<h3>Chosen</h3><ul class="list" id="chosen-hosts"></ul><p class="muted" id="no-host">No host chosen yet.</p>
</fieldset>
<label>Name <input name="name" required maxlength="250" placeholder="e.g. Load of the web servers"></label>
<button type="submit" class="primary">Create dashboard</button>
<p class="error" id="skeleton-error" role="alert"></p>
</form></section>
</div>`;
      page(req, res, 'Dashboards', body, { script: 'dashboards', active: 'dashboards' });
    }),
  );

  // Editors: registered before `/dashboards/:id` and `/views/:id` so "new" is not taken for an id.
  const editor = (kind: 'view' | 'dashboard', script: string) =>
    wrap(async (req, res) => {
      const u = user(req);
      const id = req.params.id;
      if (kind === 'view') {
        const view = id === undefined ? null : await deps.access.view(u, Number(id));
        if (id !== undefined && !view) return notFound(req, res, page);
        return page(req, res, view ? `Edit ${view.name}` : 'New view', viewEditor(view), { script, active: 'dashboards' });
      }
      const mv = id === undefined ? null : await deps.access.multiview(u, Number(id));
      if (id !== undefined && !mv) return notFound(req, res, page);
      page(req, res, mv ? `Edit ${mv.name}` : 'New dashboard', dashboardEditor(mv), { script, active: 'dashboards' });
    });
  r.get('/views/new', requirePageUser, editor('view', 'view-editor'));
  r.get('/views/:id/edit', requirePageUser, editor('view', 'view-editor'));
  r.get('/dashboards/new', requirePageUser, editor('dashboard', 'dashboard-editor'));
  r.get('/dashboards/:id/edit', requirePageUser, editor('dashboard', 'dashboard-editor'));

  r.get(
    '/dashboards/:id',
    requirePageUser,
    wrap(async (req, res) => {
      const multiview = await deps.access.multiview(user(req), Number(req.params.id));
      if (!multiview) return notFound(req, res, page);
      const views = (await Promise.all(multiview.views.map((id) => deps.access.view(user(req), id)))).filter((v) => v !== null);
      const body = html`<div class="page-head"><h1>${multiview.name}</h1><span class="muted">${multiview.comment}</span><a class="button head-action" href="/dashboards/${multiview.id}/edit">Edit</a></div>
${toolbar()}
${views.length < multiview.views.length ? html`<p class="muted" id="hidden-views">${multiview.views.length - views.length} view(s) of this dashboard are not shared with you.</p>` : ''}
<div class="graphs">${views.map((v) => graphCard({ kind: 'view', view: v.id, title: v.name }))}</div>`;
      page(req, res, multiview.name, body, { script: 'graphs', active: 'dashboards' });
    }),
  );

  r.get(
    '/views/:id',
    requirePageUser,
    wrap(async (req, res) => {
      const view = await deps.access.view(user(req), Number(req.params.id));
      if (!view) return notFound(req, res, page);
      const body = html`<div class="page-head"><h1>${view.name}</h1><span class="muted">${view.comment}</span><a class="button head-action" href="/views/${view.id}/edit">Edit</a></div>
${toolbar()}<div class="graphs single">${graphCard({ kind: 'view', view: view.id, title: view.name })}</div>`;
      page(req, res, view.name, body, { script: 'graphs', active: 'dashboards' });
    }),
  );

  r.get('/admin', requirePageUser, (req, res) => {
    if (!user(req).isSuperuser) return notFound(req, res, page);
    const kinds = ['users', 'groups', 'storages', 'hosts', 'skeletons', 'views', 'multiviews', 'events'];
    const body = html`<div class="page-head"><h1>Administration</h1></div>
<nav class="tabs">${kinds.map((k) => html`<a href="#${k}" data-kind="${k}">${k}</a>`)}</nav>
<section class="card"><table class="admin-table" id="admin-table"><thead></thead><tbody></tbody></table>
<p class="muted" id="admin-status"></p></section>
<section class="card"><h2>Create or edit</h2><p class="muted">JSON body for <code>POST /rest/<span id="admin-kind">users</span></code>, or for <code>PATCH</code> after <em>Edit</em> on a row: views and dashboards are shared by their <code>users</code> and <code>groups</code> ids (see docs/webapp.md).</p>
<form id="admin-create" class="stack"><textarea name="body" rows="5" spellcheck="false">{}</textarea><button type="submit" class="primary">Create</button><p class="error" id="admin-error" role="alert"></p></form></section>`;
    page(req, res, 'Admin', body, { script: 'admin', active: 'admin' });
  });
  return r;
}

/** Rows per list on `/dashboards` (dashboards and views each). */
const LIST_PAGE_SIZE = 50;

/** "Previous · page 2 of 7 · Next", keeping the other query parameters (the search, the other list's page). */
function pageLinks(query: Request['query'], name: string, current: number, count: number): SafeHtml {
  const last = Math.max(1, Math.ceil(count / LIST_PAGE_SIZE));
  if (last === 1) return html``;
  const link = (n: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (typeof value === 'string' && key !== name) params.set(key, value);
    params.set(name, String(n));
    return `/dashboards?${params}`;
  };
  return html`<nav class="pager" data-list="${name}">${current > 1 ? html`<a href="${link(current - 1)}" rel="prev">Previous</a>` : ''}
<span class="muted">page ${Math.min(current, last)} of ${last}</span>${current < last ? html`<a href="${link(current + 1)}" rel="next">Next</a>` : ''}</nav>`;
}

function notFound(req: Request, res: Response, page: (req: Request, res: Response, title: string, body: SafeHtml) => void): void {
  res.status(404);
  page(req, res, 'Not found', html`<h1>Not found</h1><p>This page does not exist or you may not see it.</p>`);
}

/** Resolution pills, custom range, auto-refresh: one time range for every graph of the page. */
function toolbar(): SafeHtml {
  const resolutions = ['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly'];
  return html`<div class="toolbar" id="toolbar">
<div class="pills" role="group" aria-label="Resolution">${resolutions.map((r) => html`<button type="button" data-res="${r}" class="${r === 'Daily' ? 'active' : ''}">${r}</button>`)}</div>
<form class="range" id="range-form"><label>From <input type="datetime-local" name="from"></label><label>To <input type="datetime-local" name="until"></label><button type="submit">Apply</button></form>
<label class="check"><input type="checkbox" id="auto-refresh"> Auto-refresh</label>
<span class="muted hint">Drag to zoom, double-click to reset</span>
</div>`;
}

type Card = { kind: 'plugin'; host: number; plugin: string; title: string } | { kind: 'view'; view: number; title: string };

function graphCard(card: Card): SafeHtml {
  const exportBase =
    card.kind === 'plugin' ? `/export/hosts/${card.host}/plugins/${encodeURIComponent(card.plugin)}` : `/export/views/${card.view}`;
  const data =
    card.kind === 'plugin'
      ? html`data-kind="plugin" data-host="${card.host}" data-plugin="${card.plugin}"`
      : html`data-kind="view" data-view="${card.view}"`;
  // the id is the Problems page's link target (plugin names are storage-safe names)
  const anchor = card.kind === 'plugin' ? `graph-${card.plugin}` : `graph-view-${card.view}`;
  return html`<article class="graph-card" id="${anchor}" ${data} data-export="${exportBase}">
<header><h3>${card.title}</h3><span class="exports"><a href="${exportBase}.png" class="export-png" target="_blank" rel="noopener">PNG</a><a href="${exportBase}.csv">CSV</a><a href="${exportBase}.json" target="_blank" rel="noopener">JSON</a></span></header>
<div class="plot"><p class="muted loading">Loading…</p></div>
<div class="errors"></div>
<table class="legend"><thead><tr><th></th><th>series</th><th>state</th><th>now</th><th>min</th><th>avg</th><th>max</th><th>last</th></tr></thead><tbody></tbody></table>
</article>`;
}

async function hostTree(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  const hosts = await deps.access.visibleHosts(user);
  const groups = new Map((await deps.repos.groups.all()).map((g) => [g.id, g.name]));
  const byGroup = groupBy(hosts, (h) => (h.groupId !== null ? (groups.get(h.groupId) ?? 'other') : 'no group'));
  return html`<div class="page-head"><h1>Hosts</h1><input type="search" id="host-filter" placeholder="Filter hosts" aria-label="Filter hosts"></div>
${hosts.length ? '' : html`<p class="muted">No host visible to you yet.</p>`}
<div class="tree">${[...byGroup.entries()].map(
    ([group, list]) =>
      html`<section class="card group"><h2>${group}</h2><ul class="hosts">${list.map(
        (h) => html`<li><a href="/hosts/${h.id}">${h.name}</a> <small>${h.hostid}</small></li>`,
      )}</ul></section>`,
  )}</div>
<script type="module" src="/app/client/tree.js"></script>`;
}
