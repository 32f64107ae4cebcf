import { api, el } from './api.js';
import { debounced, TYPING_PAUSE_MS } from './debounce.js';

/**
 * Build a dashboard from a skeleton for chosen hosts: hosts are found by typing (the server
 * searches, `GET /picker/hosts?q=`, with the user's permissions, at most 20 answers), then the
 * view is created by the REST API (`POST /rest/skeletons/:id/create_view`), then a dashboard
 * holding it, then we open it.
 */
interface PickerHost {
  id: number;
  name: string;
  hostid: string;
}

const form = document.querySelector<HTMLFormElement>('#skeleton-form');
const error = document.querySelector<HTMLElement>('#skeleton-error');
const chosen = new Map<number, PickerHost>();

function renderChosen(): void {
  const list = document.querySelector<HTMLUListElement>('#chosen-hosts');
  list?.replaceChildren(
    ...[...chosen.values()].map((h) => {
      const li = el('li', `${h.name} `);
      li.dataset.id = String(h.id);
      li.append(el('span', h.hostid, 'muted'));
      const remove = el('button', 'Remove');
      remove.type = 'button';
      remove.addEventListener('click', () => {
        chosen.delete(h.id);
        renderChosen();
      });
      li.append(remove);
      return li;
    }),
  );
  const none = document.querySelector<HTMLElement>('#no-host');
  if (none) none.hidden = chosen.size > 0;
}

function renderResults(hosts: PickerHost[], truncated: boolean): void {
  const results = document.querySelector<HTMLUListElement>('#host-results');
  results?.replaceChildren(
    ...hosts.map((h) => {
      const add = el('button', `${h.name} (${h.hostid})`, 'pick');
      add.type = 'button';
      add.dataset.id = String(h.id);
      add.addEventListener('click', () => {
        chosen.set(h.id, h);
        renderChosen();
      });
      const li = el('li');
      li.append(add);
      return li;
    }),
  );
  const more = document.querySelector<HTMLElement>('#host-more');
  if (more) more.hidden = !truncated;
}

const search = document.querySelector<HTMLInputElement>('#host-search');
const lookUp = debounced(TYPING_PAUSE_MS, async (q, isLatest) => {
  try {
    const answer = await api<{ results: PickerHost[]; truncated: boolean }>('GET', `/picker/hosts?limit=20&q=${encodeURIComponent(q)}`);
    if (isLatest()) renderResults(answer.results, answer.truncated);
  } catch (err) {
    if (error && isLatest()) error.textContent = (err as Error).message;
  }
});
search?.addEventListener('input', () => lookUp(search.value));
search?.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());
if (search) lookUp('');
renderChosen();

form?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const hosts = [...chosen.keys()];
  const name = String(data.get('name') ?? '').trim();
  if (error) error.textContent = '';
  if (hosts.length === 0) {
    if (error) error.textContent = 'Choose at least one host.';
    return;
  }
  try {
    const view = await api<{ id: number }>('POST', `/rest/skeletons/${Number(data.get('skeleton'))}/create_view`, { hosts, name });
    const dashboard = await api<{ id: number }>('POST', '/rest/multiviews', { name, views: [view.id] });
    location.assign(`/dashboards/${dashboard.id}`);
  } catch (err) {
    if (error) error.textContent = (err as Error).message;
  }
});
