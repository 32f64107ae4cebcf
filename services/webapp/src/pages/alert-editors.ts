import type { AuthUser } from '../auth/user.js';
import type { AppDeps } from '../deps.js';
import { html, type SafeHtml } from './html.js';

/**
 * The rule, contact and silence editors: a list (filled by `client/alert-editors.ts` from the
 * REST API) and a form whose input names are the REST body's field paths (`target.hostId`,
 * `critical.value`, `settings.to`), so an error naming a field lands next to it. Choices the
 * user may make (hosts, views, groups) come from the repositories with the user's permissions.
 */

const fieldError = (field: string) => html`<p class="error field-error" data-for="${field}" role="alert"></p>`;

export function alertTabs(active: 'problems' | 'rules' | 'contacts' | 'silences'): SafeHtml {
  const tab = (href: string, key: typeof active, label: string) =>
    html`<a href="${href}" class="${key === active ? 'active' : ''}">${label}</a>`;
  return html`<nav class="tabs">${tab('/problems', 'problems', 'Problems')}${tab('/alerts/rules', 'rules', 'Rules')}${tab('/alerts/contacts', 'contacts', 'Contacts')}${tab('/alerts/silences', 'silences', 'Silences')}</nav>`;
}

function formActions(kind: string): SafeHtml {
  return html`<div class="actions"><button type="submit" class="primary" id="save">Create ${kind}</button><button type="button" id="new-item">New ${kind}</button></div>
<p class="error" id="form-error" role="alert"></p>`;
}

async function hostList(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  const hosts = await deps.access.visibleHosts(user);
  return html`<datalist id="host-ids">${hosts.map((h) => html`<option value="${h.hostid}">${h.name}</option>`)}</datalist>`;
}

function conditionFieldset(level: 'warning' | 'critical'): SafeHtml {
  return html`<fieldset class="condition" data-level="${level}"><legend>${level === 'warning' ? 'Warning' : 'Critical'} when</legend>
<label>Condition <select name="${level}.kind"><option value="">never</option><option value="above">above</option><option value="below">below</option><option value="outside">outside a range</option><option value="nodata">no data for</option></select></label>
<label data-when="above below">Value <input name="${level}.value" type="number" step="any"></label>
<label data-when="outside">Min <input name="${level}.min" type="number" step="any" placeholder="none"></label>
<label data-when="outside">Max <input name="${level}.max" type="number" step="any" placeholder="none"></label>
<label data-when="nodata">Minutes <input name="${level}.minutes" type="number" min="1" step="1"></label>
${fieldError(level)}</fieldset>`;
}

export async function ruleEditor(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  const views = await deps.access.visibleViews(user);
  return html`<div class="page-head"><h1>Alert rules</h1></div>
${alertTabs('rules')}
<section class="card"><table class="alert-table" id="rule-list"><thead><tr><th>name</th><th>watches</th><th>warning</th><th>critical</th><th>enabled</th><th></th></tr></thead><tbody></tbody></table>
<p class="muted" id="list-status" role="status"></p></section>
<section class="card"><h2 id="form-title">New rule</h2>
<form id="rule-form" class="stack editor" data-editor="rules" novalidate>
<label>Name <input name="name" required maxlength="200"></label>${fieldError('name')}
<label class="check"><input type="checkbox" name="enabled" checked> Enabled</label>
<fieldset><legend>Watches</legend>
<label>Target <select name="target.kind"><option value="source">one data source</option><option value="view">every series of a view</option>${user.isSuperuser ? html`<option value="pattern">a pattern (host glob, plugin, field)</option>` : ''}</select></label>
<label data-target="source">Host ID <input name="target.hostId" list="host-ids" maxlength="300"></label>
<label data-target="source">Plugin <input name="target.plugin" maxlength="200"></label>
<label data-target="source">Field <input name="target.field" maxlength="200"></label>
<label data-target="view">View <select name="target.viewId">${views.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select></label>
<label data-target="pattern">Host glob <input name="target.hostGlob" maxlength="200" placeholder="web*"></label>
<label data-target="pattern">Plugin glob <input name="target.pluginGlob" maxlength="200" placeholder="df"></label>
<label data-target="pattern">Field glob <input name="target.fieldGlob" maxlength="200" placeholder="*"></label>
${fieldError('target')}</fieldset>
${conditionFieldset('warning')}${conditionFieldset('critical')}
<fieldset><legend>Holds for</legend><div class="pair">
<label>Points <input name="hold.points" type="number" min="1" max="1000" value="1"></label>
<label>Seconds <input name="hold.seconds" type="number" min="0" value="0"></label></div>${fieldError('hold')}</fieldset>
<label>Repeat every (minutes, 0 = on changes only) <input name="repeatMinutes" type="number" min="0" value="0"></label>${fieldError('repeatMinutes')}
<label>Comment <textarea name="comment" rows="2" maxlength="4096"></textarea></label>${fieldError('comment')}
${formActions('rule')}
</form>${await hostList(deps, user)}</section>`;
}

export async function contactEditor(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  const groups = user.isSuperuser ? await deps.repos.groups.all() : [];
  const owner = user.isSuperuser
    ? html`<label>Gets the alerts of <select name="owner"><option value="">every host (catch-all)</option><option value="user:${user.id}">hosts I subscribe to</option>${groups.map((g) => html`<option value="group:${g.id}">the hosts of group ${g.name}</option>`)}</select></label>${fieldError('group')}${fieldError('user')}`
    : html`<p class="muted">Your contacts get the alerts of the hosts you subscribe to (Subscribe on a host's alert history).</p>`;
  return html`<div class="page-head"><h1>Contacts</h1></div>
${alertTabs('contacts')}
<section class="card"><table class="alert-table" id="contact-list"><thead><tr><th>name</th><th>kind</th><th>gets</th><th>from</th><th>status</th><th></th></tr></thead><tbody></tbody></table>
<p class="muted" id="list-status" role="status"></p></section>
<section class="card"><h2 id="form-title">New contact</h2>
<form id="contact-form" class="stack editor" data-editor="contacts" data-user="${user.id}" novalidate>
<label>Name <input name="name" required maxlength="200"></label>${fieldError('name')}
<label class="check"><input type="checkbox" name="enabled" checked> Enabled</label>
<label>Kind <select name="settings.kind"><option value="email">email</option><option value="webhook">webhook (JSON POST)</option><option value="slack">Slack / Mattermost webhook</option><option value="alertmanager">Prometheus Alertmanager</option>${user.isSuperuser ? html`<option value="command">command (text on stdin)</option>` : ''}</select></label>
<label data-kind="email">Addresses (comma separated) <input name="settings.to" maxlength="4000"></label>
<label data-kind="webhook slack alertmanager">URL <input name="settings.url" type="url" maxlength="2048"></label>
<label data-kind="slack">Channel (optional) <input name="settings.channel" maxlength="100"></label>
<label data-kind="command">Program and arguments, one per line <textarea name="settings.argv" rows="3"></textarea></label>
<label data-kind="command">Text on stdin (optional, munin's \${var:host}… variables) <textarea name="settings.text" rows="3" maxlength="8192"></textarea></label>
${fieldError('settings')}
${owner}
<label>From state <select name="min_state"><option value="UNKNOWN">UNKNOWN</option><option value="WARNING" selected>WARNING</option><option value="CRITICAL">CRITICAL</option></select></label>
${formActions('contact')}
</form></section>`;
}

export async function silenceEditor(deps: AppDeps, user: AuthUser): Promise<SafeHtml> {
  return html`<div class="page-head"><h1>Silences</h1><label class="check"><input type="checkbox" id="show-ended"> Show ended silences</label></div>
${alertTabs('silences')}
<section class="card"><table class="alert-table" id="silence-list"><thead><tr><th>matches</th><th>from</th><th>until</th><th>by</th><th>comment</th><th></th></tr></thead><tbody></tbody></table>
<p class="muted" id="list-status" role="status"></p></section>
<section class="card"><h2>New silence</h2><p class="muted">Notifications that match while it lasts are not sent (recorded as silenced). Empty = any.${user.isSuperuser ? ' Host accepts the rules&rsquo; globs (*, ?, [a-z], {a,b}) and matches the host ID or the host name.' : ' Name one host.'}</p>
<form id="silence-form" class="stack editor" data-editor="silences" novalidate>
<label>Host ID <input name="host_glob" list="host-ids" maxlength="300"></label>${fieldError('host_glob')}
<div class="pair"><label>Plugin <input name="plugin" maxlength="200"></label><label>Field <input name="field" maxlength="200"></label></div>
<label>Rule key <input name="rule_key" maxlength="24" placeholder="munin, rule:12, view:3"></label>${fieldError('rule_key')}
<div class="pair"><label>For <select name="duration"><option value="3600">1 hour</option><option value="14400">4 hours</option><option value="86400">1 day</option><option value="604800">1 week</option><option value="">until…</option></select></label>
<label>Until <input name="ends_at" type="datetime-local"></label></div>${fieldError('ends_at')}
<label>Comment <textarea name="comment" rows="2" maxlength="1024"></textarea></label>${fieldError('comment')}
<div class="actions"><button type="submit" class="primary">Create silence</button></div>
<p class="error" id="form-error" role="alert"></p>
</form>${await hostList(deps, user)}</section>`;
}
