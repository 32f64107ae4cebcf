import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import type { Multiview, Plugin, Source, View } from '../repos/index.js';
import { html, type SafeHtml } from './html.js';

/**
 * The view and dashboard editors: server-rendered forms (the data-source tree and the views a
 * user may pick come from the repositories with the user's permissions); `client/view-editor.ts`
 * and `client/dashboard-editor.ts` save them through `/rest/views` and `/rest/multiviews`.
 * Current values go in data-* attributes and `value`s, escaped by the `html` template.
 */

const ALL = { page: 1, pageSize: 1_000_000, q: '' };

/** An error paragraph next to a field: the client fills it from the REST error's `field`. */
const fieldError = (field: string) => html`<p class="error field-error" data-for="${field}" role="alert"></p>`;

function shareFieldset(users: readonly number[], groups: readonly number[], note = ''): SafeHtml {
  return html`<fieldset><legend>Share with</legend>
<div class="share" data-users="${users.join(',')}" data-groups="${groups.join(',')}">
<label>Users <select multiple name="users" id="share-users" size="6"></select></label>
<label>Groups <select multiple name="groups" id="share-groups" size="6"></select></label>
</div>
<p class="muted" id="share-note">Ctrl/⌘-click to choose several. You keep access to what you create.${note}</p>
${fieldError('users')}${fieldError('groups')}
</fieldset>`;
}

function actions(kind: 'view' | 'dashboard', cancel: string, editing: boolean): SafeHtml {
  return html`<div class="actions">
<button type="submit" class="primary">Save ${kind}</button><a href="${cancel}">Cancel</a>
${
  editing
    ? html`<span class="delete-zone"><button type="button" class="danger" id="delete">Delete ${kind}</button>
<span id="confirm-delete" class="confirm" hidden>Delete this ${kind} for everyone it is shared with? <button type="button" class="danger" id="confirm-yes">Yes, delete</button><button type="button" id="confirm-no">Keep it</button></span></span>`
    : ''
}
</div>
<p class="error" id="form-error" role="alert"></p>`;
}

/** Hosts → plugins → sources the user may see, as nested <details> with one checkbox per source. */
async function sourceTree(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  const scope = deps.access.hostScope(user);
  const [hosts, plugins, sources] = await Promise.all([
    deps.access.visibleHosts(user),
    deps.repos.plugins.list(ALL, scope),
    deps.repos.sources.list(ALL, scope),
  ]);
  const pluginsOf = new Map<number, Plugin[]>();
  for (const p of plugins.rows) pluginsOf.set(p.hostId, [...(pluginsOf.get(p.hostId) ?? []), p]);
  const sourcesOf = new Map<number, Source[]>();
  for (const s of sources.rows) sourcesOf.set(s.pluginId, [...(sourcesOf.get(s.pluginId) ?? []), s]);
  if (!hosts.length) return html`<p class="muted">No host visible to you.</p>`;
  return html`${hosts.map(
    (
      h,
    ) => html`<details class="pick-host" data-text="${h.name.toLowerCase()} ${h.hostid.toLowerCase()}"><summary>${h.name} <span class="muted">${h.hostid}</span></summary>
${(pluginsOf.get(h.id) ?? []).map(
  (p) =>
    html`<details class="pick-plugin"><summary>${p.name}</summary><div class="checks">${(sourcesOf.get(p.id) ?? []).map(
      (s) =>
        html`<label class="check pick-source" data-text="${`${h.name} ${h.hostid} ${p.name} ${s.name}`.toLowerCase()}"><input type="checkbox" value="${s.id}" data-label="${h.name} - ${p.name} - ${s.name}"> ${s.name}</label>`,
    )}</div></details>`,
)}</details>`,
  )}`;
}

export async function viewEditor(deps: AppDeps, user: AuthUser, view: View | null): Promise<SafeHtml> {
  const cancel = view ? `/views/${view.id}` : '/dashboards';
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return html`<div class="page-head"><h1>${view ? html`Edit view <span class="muted">${view.name}</span>` : 'New view'}</h1></div>
<form id="view-form" class="card stack editor" novalidate data-id="${view?.id ?? ''}" data-sources="${(view?.sources ?? []).join(',')}" data-right="${(view?.rightAxis ?? []).join(',')}">
<label>Name <input name="name" maxlength="250" value="${view?.name ?? ''}" placeholder="e.g. Load of the web servers" autocomplete="off"></label>
${fieldError('name')}
<label>Comment <textarea name="comment" rows="2">${view?.comment ?? ''}</textarea></label>
${fieldError('comment')}
<div class="pair"><label>Warning <input name="warning" type="number" step="any" value="${num(view?.warning)}"></label>
<label>Critical <input name="critical" type="number" step="any" value="${num(view?.critical)}"></label></div>
${fieldError('warning')}${fieldError('critical')}
<fieldset><legend>Data sources</legend>
<div class="picker">
<div class="picker-tree"><input type="search" id="source-filter" placeholder="Search host, plugin or source" aria-label="Search data sources">
<div class="tree-list">${await sourceTree(deps, user)}</div></div>
<div class="picker-selected"><h3>Chosen, in drawing order</h3><ol class="list" id="selected-sources"></ol>
<p class="muted" id="no-source">No data source chosen yet: tick some on the left.</p></div>
</div>
${fieldError('sources')}${fieldError('right_axis')}
</fieldset>
${shareFieldset(view?.users ?? [], view?.groups ?? [])}
${actions('view', cancel, view !== null)}
</form>`;
}

export async function dashboardEditor(deps: AppDeps, user: AuthUser, multiview: Multiview | null): Promise<SafeHtml> {
  const views = await deps.access.visibleViews(user);
  const cancel = multiview ? `/dashboards/${multiview.id}` : '/dashboards';
  return html`<div class="page-head"><h1>${multiview ? html`Edit dashboard <span class="muted">${multiview.name}</span>` : 'New dashboard'}</h1></div>
<form id="dashboard-form" class="card stack editor" novalidate data-id="${multiview?.id ?? ''}" data-views="${(multiview?.views ?? []).join(',')}">
<label>Name <input name="name" maxlength="300" value="${multiview?.name ?? ''}" placeholder="e.g. Web front" autocomplete="off"></label>
${fieldError('name')}
<label>Comment <textarea name="comment" rows="2">${multiview?.comment ?? ''}</textarea></label>
${fieldError('comment')}
<fieldset><legend>Views, in display order</legend>
<div class="add-row"><select id="view-choice" aria-label="View to add">${views.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select>
<button type="button" id="add-view">Add view</button><a href="/views/new">New view…</a></div>
<ol class="list" id="dashboard-views"></ol>
<p class="muted" id="no-view">No view yet: add some above.</p>
${fieldError('views')}
</fieldset>
${shareFieldset(multiview?.users ?? [], multiview?.groups ?? [], ' Views are shared on their own: people see the views of a dashboard that are shared with them too.')}
${actions('dashboard', cancel, multiview !== null)}
</form>`;
}
