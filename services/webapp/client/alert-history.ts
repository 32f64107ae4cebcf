import type { AlertState } from './alert-state.js';
import { stateBadge } from './alert-state.js';
import { cell, ruleCell, seriesCells, showPage, timeCell, valueText } from './alert-table.js';
import { api, el } from './api.js';

/** The alert history of a host or a rule, newest first; on a host's, the Subscribe toggle. */
interface Change {
  id: number;
  rule_key: string;
  rule_name: string;
  hostid: string;
  host: number | null;
  host_name: string;
  plugin: string;
  field: string;
  previous: AlertState;
  state: AlertState;
  at: string;
  value: number | null;
  reason: string;
}

const section = document.querySelector<HTMLElement>('#history');
const status = document.querySelector<HTMLElement>('#history-status');
let current = 1;

function row(c: Change): HTMLTableRowElement {
  const tr = el('tr');
  const change = cell(stateBadge(c.previous), ' → ', stateBadge(c.state));
  tr.append(timeCell(c.at), ...seriesCells(c), ruleCell(c), change, el('td', valueText(c.value), 'num'), cell(c.reason));
  return tr;
}

async function load(): Promise<void> {
  const q = new URLSearchParams({ page: String(current), page_size: '50' });
  if (section?.dataset.host) q.set('host', section.dataset.host);
  if (section?.dataset.rule) q.set('rule', section.dataset.rule);
  await showPage<Change>({
    url: `/rest/alerts/history?${q}`,
    tbody: section?.querySelector('tbody'),
    status,
    row,
    counted: (n) => (n ? `${n} change${n === 1 ? '' : 's'}` : 'No change of state recorded.'),
    current,
    go: (n) => {
      current = n;
      void load();
    },
  });
}

/** Subscribing sends this host's alerts to the user's own contacts. */
async function subscription(): Promise<void> {
  const button = document.querySelector<HTMLButtonElement>('#subscribe');
  const host = Number(button?.dataset.host);
  if (!button || !host) return;
  const mine = await api<{ results: { host: number }[] }>('GET', '/rest/alerts/subscriptions');
  let subscribed = mine.results.some((s) => s.host === host);
  const show = () => {
    button.textContent = subscribed ? 'Unsubscribe' : 'Subscribe';
    button.hidden = false;
  };
  button.onclick = async () => {
    await api(subscribed ? 'DELETE' : 'PUT', `/rest/alerts/subscriptions/${host}`);
    subscribed = !subscribed;
    show();
  };
  show();
}

void load();
void subscription().catch(() => undefined);
