import {
  checked,
  clearErrors,
  confirmButton,
  type Form,
  listStatus,
  number,
  optional,
  set,
  showError,
  showFor,
  smallButton,
  text,
} from './alert-form.js';
import { cell, link, type Page, timeCell } from './alert-table.js';
import { api, el } from './api.js';

/**
 * The rule, contact and silence editors (`/alerts/rules`, `/alerts/contacts`,
 * `/alerts/silences`): a list from the REST API and a form that creates or, after Edit,
 * replaces (PUT) one object. Validation is the server's: its errors land next to the field.
 */
type Condition =
  | { kind: 'above' | 'below'; value: number }
  | { kind: 'outside'; min?: number; max?: number }
  | { kind: 'nodata'; minutes: number };
type Target =
  | { kind: 'source'; hostId: string; plugin: string; field: string }
  | { kind: 'view'; viewId: number }
  | { kind: 'pattern'; hostGlob: string; pluginGlob: string; fieldGlob: string };
interface Rule {
  id: number;
  key: string;
  name: string;
  enabled: boolean;
  definition: {
    name: string;
    enabled: boolean;
    target: Target;
    warning: Condition | null;
    critical: Condition | null;
    hold: { points: number; seconds: number };
    repeatMinutes: number;
    comment: string;
  };
}
type Settings = { kind: string; to?: string[]; url?: string; channel?: string; argv?: string[]; text?: string };
interface Contact {
  id: number;
  name: string;
  kind: string;
  enabled: boolean;
  settings: Settings;
  group: number | null;
  user: number | null;
  min_state: string;
  last_success_at: string | null;
  last_error: string | null;
  failing_since: string | null;
  failing: boolean;
}
interface Silence {
  id: number;
  rule_key: string | null;
  host_glob: string | null;
  plugin: string | null;
  field: string | null;
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by: string | null;
  created_at: string;
  active: boolean;
}

/** One editor: list, fill the form from an object, read the body from the form. */
interface Editor<T extends { id: number }> {
  url: string;
  noun: string;
  columns(item: T): (Node | string)[];
  fill(form: Form, item: T): void;
  body(form: Form): unknown;
  /** Silences are expired, not replaced. */
  editable: boolean;
}

function conditionText(c: Condition | null): string {
  if (!c) return '';
  if (c.kind === 'nodata') return `no data for ${c.minutes} min`;
  if (c.kind === 'outside') return `outside ${c.min ?? ''}:${c.max ?? ''}`;
  return `${c.kind} ${c.value}`;
}

function targetText(t: Target): string {
  if (t.kind === 'source') return `${t.hostId} · ${t.plugin} · ${t.field}`;
  if (t.kind === 'view') return `view #${t.viewId}`;
  return `${t.hostGlob} · ${t.pluginGlob} · ${t.fieldGlob}`;
}

function readCondition(form: Form, level: string): Condition | null {
  const kind = text(form, `${level}.kind`);
  if (!kind) return null;
  if (kind === 'outside') {
    const [min, max] = [number(form, `${level}.min`), number(form, `${level}.max`)];
    return { kind, ...(min === null ? {} : { min }), ...(max === null ? {} : { max }) };
  }
  if (kind === 'nodata') return { kind, minutes: number(form, `${level}.minutes`) } as Condition;
  return { kind, value: number(form, `${level}.value`) } as Condition;
}

function readTarget(form: Form): Target {
  const kind = text(form, 'target.kind');
  if (kind === 'view') return { kind, viewId: Number(text(form, 'target.viewId')) };
  if (kind === 'pattern')
    return {
      kind,
      hostGlob: text(form, 'target.hostGlob'),
      pluginGlob: text(form, 'target.pluginGlob'),
      fieldGlob: text(form, 'target.fieldGlob'),
    };
  return { kind: 'source', hostId: text(form, 'target.hostId'), plugin: text(form, 'target.plugin'), field: text(form, 'target.field') };
}

const rules: Editor<Rule> = {
  url: '/rest/alerts/rules',
  noun: 'rule',
  editable: true,
  columns: (r) => [
    link(r.name, `/alerts/history?rule=${encodeURIComponent(r.key)}`),
    targetText(r.definition.target),
    conditionText(r.definition.warning),
    conditionText(r.definition.critical),
    r.enabled ? 'yes' : 'no',
  ],
  fill(form, r) {
    const d = r.definition;
    set(form, 'name', d.name);
    set(form, 'enabled', d.enabled);
    set(form, 'target.kind', d.target.kind);
    for (const [k, v] of Object.entries(d.target)) if (k !== 'kind') set(form, `target.${k}`, v as string);
    for (const level of ['warning', 'critical'] as const) {
      const c = d[level];
      set(form, `${level}.kind`, c?.kind ?? '');
      for (const k of ['value', 'min', 'max', 'minutes']) set(form, `${level}.${k}`, (c as Record<string, number> | null)?.[k]);
    }
    set(form, 'hold.points', d.hold.points);
    set(form, 'hold.seconds', d.hold.seconds);
    set(form, 'repeatMinutes', d.repeatMinutes);
    set(form, 'comment', d.comment);
  },
  body: (form) => ({
    name: text(form, 'name'),
    enabled: checked(form, 'enabled'),
    target: readTarget(form),
    warning: readCondition(form, 'warning'),
    critical: readCondition(form, 'critical'),
    hold: { points: number(form, 'hold.points'), seconds: number(form, 'hold.seconds') },
    repeatMinutes: number(form, 'repeatMinutes'),
    comment: text(form, 'comment'),
  }),
};

function contactStatus(c: Contact): HTMLElement {
  if (c.failing)
    return el('span', `failing since ${new Date(c.failing_since ?? '').toLocaleString()}: ${c.last_error ?? ''}`, 'error contact-failing');
  if (c.last_success_at) return el('span', `ok, last sent ${new Date(c.last_success_at).toLocaleString()}`, 'muted');
  return el('span', 'nothing sent yet', 'muted');
}

const contacts: Editor<Contact> = {
  url: '/rest/alerts/contacts',
  noun: 'contact',
  editable: true,
  columns: (c) => [
    c.name,
    c.kind,
    c.group !== null ? `hosts of group #${c.group}` : c.user !== null ? `subscriptions of user #${c.user}` : 'every host',
    c.min_state,
    contactStatus(c),
  ],
  fill(form, c) {
    set(form, 'name', c.name);
    set(form, 'enabled', c.enabled);
    set(form, 'settings.kind', c.kind);
    set(form, 'settings.to', c.settings.to?.join(', '));
    set(form, 'settings.url', c.settings.url);
    set(form, 'settings.channel', c.settings.channel);
    set(form, 'settings.argv', c.settings.argv?.join('\n'));
    set(form, 'settings.text', c.settings.text);
    set(form, 'owner', c.group !== null ? `group:${c.group}` : c.user !== null ? `user:${c.user}` : '');
    set(form, 'min_state', c.min_state);
  },
  body(form) {
    const kind = text(form, 'settings.kind');
    const list = (name: string, sep: RegExp) =>
      text(form, name)
        .split(sep)
        .map((s) => s.trim())
        .filter(Boolean);
    const settings: Settings =
      kind === 'email'
        ? { kind, to: list('settings.to', /,/) }
        : kind === 'command'
          ? { kind, argv: list('settings.argv', /\n/), ...(optional(form, 'settings.text') ? { text: text(form, 'settings.text') } : {}) }
          : {
              kind,
              url: text(form, 'settings.url'),
              ...(kind === 'slack' && optional(form, 'settings.channel') ? { channel: text(form, 'settings.channel') } : {}),
            };
    const [ownerKind, ownerId] = text(form, 'owner').split(':');
    const owner =
      ownerKind === 'group' ? { group: Number(ownerId), user: null } : ownerKind === 'user' ? { group: null, user: Number(ownerId) } : {};
    return { name: text(form, 'name'), enabled: checked(form, 'enabled'), settings, min_state: text(form, 'min_state'), ...owner };
  },
};

const silences: Editor<Silence> = {
  url: '/rest/alerts/silences',
  noun: 'silence',
  editable: false,
  columns: (s) => [
    [
      s.host_glob && `host ${s.host_glob}`,
      s.plugin && `plugin ${s.plugin}`,
      s.field && `field ${s.field}`,
      s.rule_key && `rule ${s.rule_key}`,
    ]
      .filter(Boolean)
      .join(' · '),
    timeCell(s.starts_at).textContent ?? '',
    `${timeCell(s.ends_at).textContent ?? ''}${s.active ? '' : ' (ended)'}`,
    `${s.created_by ?? '?'}, ${new Date(s.created_at).toLocaleString()}`,
    s.comment,
  ],
  fill() {},
  body(form) {
    const duration = text(form, 'duration');
    const until = text(form, 'ends_at');
    const parsed = new Date(until);
    // an unreadable date goes as typed: the server's error names ends_at
    const endsAt = duration
      ? new Date(Date.now() + Number(duration) * 1000).toISOString()
      : Number.isNaN(parsed.getTime())
        ? until
        : parsed.toISOString();
    return {
      host_glob: optional(form, 'host_glob'),
      plugin: optional(form, 'plugin'),
      field: optional(form, 'field'),
      rule_key: optional(form, 'rule_key'),
      ends_at: endsAt,
      comment: text(form, 'comment'),
    };
  },
};

function run<T extends { id: number }>(form: Form, editor: Editor<T>): void {
  let editing: number | null = null;
  const save = form.querySelector<HTMLButtonElement>('#save');
  const title = document.querySelector<HTMLElement>('#form-title');
  const startNew = () => {
    editing = null;
    form.reset();
    for (const s of Array.from(form.querySelectorAll('select'))) s.dispatchEvent(new Event('change'));
    if (save) save.textContent = `Create ${editor.noun}`;
    if (title) title.textContent = `New ${editor.noun}`;
  };
  const load = async () => {
    const all = document.querySelector<HTMLInputElement>('#show-ended')?.checked;
    try {
      const page = await api<Page<T>>('GET', `${editor.url}?page_size=500${all ? '&status=all' : ''}`);
      document.querySelector('.alert-table tbody')?.replaceChildren(...page.results.map((item) => row(item)));
      listStatus(page.count ? `${page.count} ${editor.noun}${page.count === 1 ? '' : 's'}` : `No ${editor.noun} yet.`);
    } catch (error) {
      listStatus((error as Error).message, true);
    }
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
  };
  const row = (item: T) => {
    const tr = el('tr');
    tr.dataset.id = String(item.id);
    tr.append(...editor.columns(item).map((c) => cell(c)));
    const actions = cell();
    if (editor.editable)
      actions.append(
        smallButton('Edit', () => {
          editing = item.id;
          editor.fill(form, item);
          for (const s of Array.from(form.querySelectorAll('select'))) s.dispatchEvent(new Event('change'));
          if (save) save.textContent = `Save ${editor.noun} ${item.id}`;
          if (title) title.textContent = `Edit ${editor.noun} ${item.id}`;
          form.scrollIntoView({ block: 'start' });
        }),
      );
    const remove = async () => {
      await api('DELETE', `${editor.url}/${item.id}`).catch((e: Error) => listStatus(e.message, true));
      if (editing === item.id) startNew();
      await load();
    };
    if (editor.editable || (item as unknown as Silence).active)
      actions.append(confirmButton(editor.editable ? 'Delete' : 'Expire now', remove));
    tr.append(actions);
    return tr;
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await api(editing === null ? 'POST' : 'PUT', editing === null ? editor.url : `${editor.url}/${editing}`, editor.body(form));
      startNew();
      await load();
    } catch (error) {
      showError(form, error);
    }
  };
  form.querySelector<HTMLButtonElement>('#new-item')?.addEventListener('click', startNew);
  document.querySelector('#show-ended')?.addEventListener('change', () => void load());
  void load();
}

const form = document.querySelector<HTMLFormElement>('form.editor');
if (form?.dataset.editor === 'rules') {
  showFor(form, 'target.kind', 'data-target');
  for (const fieldset of Array.from(form.querySelectorAll<HTMLElement>('fieldset.condition')))
    showFor(form, `${fieldset.dataset.level}.kind`, 'data-when', fieldset);
  run(form, rules);
} else if (form?.dataset.editor === 'contacts') {
  showFor(form, 'settings.kind', 'data-kind');
  run(form, contacts);
} else if (form?.dataset.editor === 'silences') {
  run(form, silences);
}
