import type { AlertState } from './alert-state.js';
import { cell, link, type Page, ruleCell, seriesCells, showPage, stateCell, timeCell, valueText } from './alert-table.js';
import { api, el } from './api.js';

/**
 * The Problems page: every non-OK state the user may see, worst and oldest first (the server's
 * order), each linked to its host and graph, with acknowledge and silence actions. Refreshed
 * every 30 seconds and after every action.
 */
interface Problem {
  id: number;
  rule_key: string;
  rule_name: string;
  hostid: string;
  host: number | null;
  host_name: string;
  plugin: string;
  field: string;
  state: AlertState;
  since: string;
  value: number | null;
  reason: string;
  flapping: boolean;
  acked_by: string | null;
  acked_at: string | null;
  ack_comment: string | null;
  silenced_by: number[];
}

const PAGE_SIZE = 50;
const SILENCE_FOR: [string, number][] = [
  ['1 hour', 3600],
  ['4 hours', 4 * 3600],
  ['1 day', 86_400],
  ['1 week', 7 * 86_400],
];
let current = 1;
const status = document.querySelector<HTMLElement>('#problems-status');
const filter = document.querySelector<HTMLInputElement>('#problem-filter');

function ackCell(p: Problem): HTMLElement {
  const box = el('div', undefined, 'alert-actions');
  if (p.acked_by) {
    const note = el('p', `acknowledged by ${p.acked_by} ${p.acked_at ? new Date(p.acked_at).toLocaleString() : ''}`, 'muted acked');
    if (p.ack_comment) note.append(el('q', p.ack_comment));
    box.append(note);
  } else {
    const form = el('form', undefined, 'inline ack-form');
    const comment = el('input');
    comment.name = 'comment';
    comment.placeholder = 'comment';
    comment.maxLength = 1024;
    const button = el('button', 'Acknowledge', 'small');
    button.type = 'submit';
    form.append(comment, button);
    form.onsubmit = (e) => {
      e.preventDefault();
      void act(() => api('POST', `/rest/alerts/states/${p.id}/ack`, { comment: comment.value }));
    };
    box.append(form);
  }
  if (p.silenced_by.length) box.append(el('p', `silenced (${p.silenced_by.map((id) => `#${id}`).join(', ')})`, 'muted silenced'));
  else box.append(silenceForm(p));
  return box;
}

/** A silence of exactly this series and rule, from now for the chosen time. */
function silenceForm(p: Problem): HTMLFormElement {
  const form = el('form', undefined, 'inline silence-form');
  const duration = el('select');
  duration.name = 'duration';
  for (const [label, seconds] of SILENCE_FOR) {
    const option = el('option', label);
    option.value = String(seconds);
    duration.append(option);
  }
  const button = el('button', 'Silence', 'small');
  button.type = 'submit';
  form.append(duration, button);
  form.onsubmit = (e) => {
    e.preventDefault();
    const ends = new Date(Date.now() + Number(duration.value) * 1000).toISOString();
    const body = { rule_key: p.rule_key, host_glob: p.hostid, plugin: p.plugin, field: p.field, ends_at: ends, comment: '' };
    void act(() => api('POST', '/rest/alerts/silences', body));
  };
  return form;
}

async function act(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
    await load();
  } catch (error) {
    if (status) {
      status.textContent = (error as Error).message;
      status.className = 'error';
    }
  }
}

function row(p: Problem): HTMLTableRowElement {
  const tr = el('tr', undefined, `problem state-row-${p.state.toLowerCase()}`);
  tr.dataset.id = String(p.id);
  const reason = cell(p.reason);
  if (p.flapping) reason.append(el('span', ' (flapping)', 'muted'));
  tr.append(
    stateCell(p.state),
    ...seriesCells(p),
    ruleCell(p),
    timeCell(p.since),
    el('td', valueText(p.value), 'num'),
    reason,
    cell(ackCell(p), link('history', `/alerts/history?${p.host === null ? `rule=${encodeURIComponent(p.rule_key)}` : `host=${p.host}`}`)),
  );
  return tr;
}

async function load(): Promise<void> {
  const q = new URLSearchParams({ page: String(current), page_size: String(PAGE_SIZE), q: filter?.value.trim() ?? '' });
  await showPage<Problem>({
    url: `/rest/alerts/problems?${q}`,
    tbody: document.querySelector('#problems tbody'),
    status,
    row,
    counted: (n) => (n ? `${n} problem${n === 1 ? '' : 's'}` : 'No problem: everything you may see is OK.'),
    current,
    go: (n) => {
      current = n;
      void load();
    },
  });
}

/** Contacts whose deliveries fail: nobody may be told about these problems. */
async function failingContacts(): Promise<void> {
  const box = document.querySelector<HTMLElement>('#failing-contacts');
  if (!box) return;
  const page = await api<Page<{ name: string; failing: boolean }>>('GET', '/rest/alerts/contacts?page_size=1000');
  const failing = page.results.filter((c) => c.failing).map((c) => c.name);
  box.hidden = failing.length === 0;
  box.replaceChildren(
    `${failing.length} contact${failing.length === 1 ? '' : 's'} failing (${failing.join(', ')}): `,
    link('see Contacts', '/alerts/contacts'),
  );
}

let typing: ReturnType<typeof setTimeout> | undefined;
filter?.addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    current = 1;
    void load();
  }, 300);
});
setInterval(() => {
  // a form being typed in is not replaced under the user's fingers
  if (!document.activeElement?.closest('#problems form')) void load();
  void failingContacts().catch(() => undefined);
}, 30_000);
void load();
void failingContacts().catch(() => undefined);
