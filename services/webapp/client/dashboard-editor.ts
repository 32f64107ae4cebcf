import { api, el } from './api.js';
import { debounced, TYPING_PAUSE_MS } from './debounce.js';
import { finishEditor, ids, listRow, selectedIds } from './editor-form.js';

/**
 * Dashboard editor (`/dashboards/new`, `/dashboards/:id/edit`): views found by typing (the server
 * searches, `GET /picker/views?q=`, with the user's permissions, bounded) are added to an ordered
 * list (remove, move up/down); sharing; save = POST or PATCH `/rest/multiviews`. The page holds
 * no list of every view: the names of the dashboard's own views come from `/picker/views?id=`.
 */
interface PickerView {
  id: number;
  name: string;
}
interface Bounded<T> {
  results: T[];
  truncated: boolean;
}

/** Views one search shows; more go behind the "more…" line. */
const SEARCH_LIMIT = 30;

const form = document.querySelector<HTMLFormElement>('#dashboard-form');
if (form) setup(form);

function setup(form: HTMLFormElement): void {
  const editing = form.dataset.id ? Number(form.dataset.id) : null;
  const views: number[] = ids(form.dataset.views);
  const names = new Map<number, string>();
  const $ = <T extends HTMLElement>(selector: string) => form.querySelector<T>(selector) as T;
  const list = $<HTMLOListElement>('#dashboard-views');
  const empty = $('#no-view');
  const errorBox = $('#view-error');
  const labelOf = (id: number) => names.get(id) ?? `view #${id} (not visible to you)`;

  function move(at: number, by: number): void {
    const to = at + by;
    if (to < 0 || to >= views.length) return;
    [views[at], views[to]] = [views[to], views[at]];
    render();
  }
  function render(): void {
    list.replaceChildren(
      ...views.map((id, i) => {
        const li = listRow(labelOf(id), [
          ['↑ Up', () => move(i, -1)],
          ['↓ Down', () => move(i, 1)],
          [
            'Remove',
            () => {
              views.splice(i, 1);
              render();
            },
          ],
        ]);
        li.dataset.id = String(id);
        return li;
      }),
    );
    empty.hidden = views.length > 0;
  }
  function add(view: PickerView): void {
    names.set(view.id, view.name);
    if (!views.includes(view.id)) views.push(view.id);
    render();
  }
  function showResults(q: string, found: Bounded<PickerView>): void {
    const results = $<HTMLUListElement>('#view-results');
    results.replaceChildren(
      ...found.results.map((v) => {
        const button = el('button', v.name, 'pick');
        button.type = 'button';
        button.dataset.id = String(v.id);
        button.addEventListener('click', () => add(v));
        const li = el('li');
        li.dataset.test = 'view-result';
        li.append(button);
        return li;
      }),
    );
    $('#view-more').hidden = !found.truncated;
    results.dataset.query = q;
  }
  const search = debounced(TYPING_PAUSE_MS, async (value, isLatest) => {
    const q = value.trim();
    try {
      const found = await api<Bounded<PickerView>>('GET', `/picker/views?limit=${SEARCH_LIMIT}&q=${encodeURIComponent(q)}`);
      if (!isLatest()) return;
      errorBox.textContent = '';
      showResults(q, found);
    } catch (error) {
      if (isLatest()) errorBox.textContent = (error as Error).message;
    }
  });
  const input = $<HTMLInputElement>('#view-search');
  input.addEventListener('input', () => search(input.value));
  input.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());
  search('');

  render();
  void (async () => {
    try {
      if (views.length) {
        const known = await api<Bounded<PickerView>>('GET', `/picker/views?id=${views.join(',')}`);
        for (const v of known.results) names.set(v.id, v.name);
        render();
      }
    } catch (error) {
      errorBox.textContent = (error as Error).message;
    }
    form.dataset.ready = '1';
  })();

  finishEditor(form, '/rest/multiviews', '/dashboards', editing, () => {
    const data = new FormData(form);
    return {
      name: String(data.get('name') ?? '').trim(),
      comment: String(data.get('comment') ?? ''),
      views: [...views],
      users: selectedIds(form.querySelector('#share-users')),
      groups: selectedIds(form.querySelector('#share-groups')),
    };
  });
}
