import type { Multiview, View } from '../repos/index.js';
import { html, type SafeHtml } from './html.js';

/**
 * The view and dashboard editors: server-rendered forms whose size does not depend on the fleet.
 * The data sources and views to pick are not in the page: `client/view-editor.ts` and
 * `client/dashboard-editor.ts` load them from the `/picker` endpoints (a lazy host → plugin →
 * source tree, server-side searches, bounded) and save through `/rest/views` and `/rest/multiviews`.
 * Current values go in data-* attributes and `value`s, escaped by the `html` template; the
 * `data-test` names are the stable selectors of docs/webapp.md (bench/scale types into them).
 */

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

export function viewEditor(view: View | null): SafeHtml {
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
<div class="picker-tree"><input type="search" id="source-filter" data-test="source-search" placeholder="Search host, plugin or source" aria-label="Search data sources" autocomplete="off">
<p class="error" id="source-error" role="alert"></p>
<ul class="list picker-results" id="source-results" data-test="source-results" hidden></ul>
<p class="muted" id="source-more" data-test="source-more" hidden><span id="source-count"></span> More sources match: <button type="button" data-test="source-more-button">Show more</button> or type more words.</p>
<p class="muted" id="source-none" hidden>No data source matches.</p>
<div class="tree-list" id="source-tree" data-test="source-tree"></div>
<p class="muted" id="tree-more" data-test="tree-more" hidden>More hosts: <button type="button" data-test="tree-more-button">Show more</button> or search.</p></div>
<div class="picker-selected"><h3>Chosen, in drawing order</h3><ol class="list" id="selected-sources" data-test="selected-sources"></ol>
<p class="muted" id="no-source">No data source chosen yet: tick some on the left.</p></div>
</div>
${fieldError('sources')}${fieldError('right_axis')}
</fieldset>
${shareFieldset(view?.users ?? [], view?.groups ?? [])}
${actions('view', cancel, view !== null)}
</form>`;
}

export function dashboardEditor(multiview: Multiview | null): SafeHtml {
  const cancel = multiview ? `/dashboards/${multiview.id}` : '/dashboards';
  return html`<div class="page-head"><h1>${multiview ? html`Edit dashboard <span class="muted">${multiview.name}</span>` : 'New dashboard'}</h1></div>
<form id="dashboard-form" class="card stack editor" novalidate data-id="${multiview?.id ?? ''}" data-views="${(multiview?.views ?? []).join(',')}">
<label>Name <input name="name" maxlength="300" value="${multiview?.name ?? ''}" placeholder="e.g. Web front" autocomplete="off"></label>
${fieldError('name')}
<label>Comment <textarea name="comment" rows="2">${multiview?.comment ?? ''}</textarea></label>
${fieldError('comment')}
<fieldset><legend>Views, in display order</legend>
<div class="add-row"><input type="search" id="view-search" data-test="view-search" placeholder="Search views to add" aria-label="Search views to add" autocomplete="off"><a href="/views/new">New view…</a></div>
<p class="error" id="view-error" role="alert"></p>
<ul class="list picker-results" id="view-results" data-test="view-results"></ul>
<p class="muted" id="view-more" data-test="view-more" hidden>More views match: type more of the name.</p>
<ol class="list" id="dashboard-views"></ol>
<p class="muted" id="no-view">No view yet: add some above.</p>
${fieldError('views')}
</fieldset>
${shareFieldset(multiview?.users ?? [], multiview?.groups ?? [], ' Views are shared on their own: people see the views of a dashboard that are shared with them too.')}
${actions('dashboard', cancel, multiview !== null)}
</form>`;
}
