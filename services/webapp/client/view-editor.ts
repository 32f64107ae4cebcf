import { api, el } from './api.js';
import { debounced, TYPING_PAUSE_MS } from './debounce.js';
import { finishEditor, ids, listRow, numberOrNull, selectedIds } from './editor-form.js';
import { type LoadedAnswer, refine, wordsOf } from './refine.js';
import { type Bounded, HOSTS_SHOWN, HostList, type Paged, type PickerHost, type PickerSource, type TreeHooks } from './source-tree.js';

/**
 * View editor (`/views/new`, `/views/:id/edit`): tick data sources in the lazy host → plugin →
 * source tree or in the server-side search's results (several hosts allowed); the chosen list
 * keeps the drawing order and which sources go on the right y axis. Save = POST or PATCH
 * `/rest/views`. Only what is shown is in the page: checkboxes are synced from `chosen` (a Set,
 * so a sync costs the boxes shown, whatever the number of sources chosen).
 *
 * A keystroke narrows what the last answer loaded at once (client/refine.ts), then one request
 * (`/picker/search`: the sources and the tree's hosts) replaces it once typing pauses; the
 * request of an older keystroke is aborted. `#source-results` says which it shows:
 * `data-state="narrowed"` (in the page) or `"final"` (the server's answer to `data-query`).
 */
/** Sources one search loads; "Show more" loads as many more. */
const SEARCH_LIMIT = 100;
/** Ids per `/picker/sources?id=` call (the API takes at most 1000; URLs stay short). */
const LABEL_BATCH = 200;

const form = document.querySelector<HTMLFormElement>('#view-form');
if (form) setup(form);

function setup(form: HTMLFormElement): void {
  const editing = form.dataset.id ? Number(form.dataset.id) : null;
  const chosen: number[] = ids(form.dataset.sources);
  const chosenSet = new Set(chosen);
  const right = new Set(ids(form.dataset.right));
  const labels = new Map<number, string>();
  const $ = <T extends HTMLElement>(selector: string) => form.querySelector<T>(selector) as T;
  const list = $<HTMLOListElement>('#selected-sources');
  const empty = $('#no-source');
  const results = $<HTMLUListElement>('#source-results');
  const tree = $('#source-tree');
  const errorBox = $('#source-error');
  const showError = (message: string) => {
    errorBox.textContent = message;
  };

  const labelOf = (id: number) => labels.get(id) ?? `source #${id} (not visible to you)`;
  function syncBoxes(): void {
    for (const box of Array.from(form.querySelectorAll<HTMLInputElement>('input.pick-box'))) box.checked = chosenSet.has(Number(box.value));
  }
  function renderChosen(): void {
    list.replaceChildren(
      ...chosen.map((id) => {
        const axis = el('label', undefined, 'check');
        const box = el('input');
        box.type = 'checkbox';
        box.className = 'right-axis';
        box.checked = right.has(id);
        box.addEventListener('change', () => (box.checked ? right.add(id) : right.delete(id)));
        axis.append(box, ' right axis');
        const li = listRow(labelOf(id), [['Remove', () => toggle(id, false)]], axis);
        li.dataset.id = String(id);
        return li;
      }),
    );
    empty.hidden = chosen.length > 0;
    syncBoxes();
  }
  function toggle(id: number, on: boolean): void {
    if (on && !chosenSet.has(id)) {
      chosen.push(id);
      chosenSet.add(id);
    }
    if (!on && chosenSet.delete(id)) {
      chosen.splice(chosen.indexOf(id), 1);
      right.delete(id);
    }
    renderChosen();
  }
  /** A checkbox for a source (in the tree: its name; in the results: its full label). */
  function sourceBox(source: PickerSource, text: string): HTMLLabelElement {
    labels.set(source.id, source.label);
    const label = el('label', undefined, 'check pick-source');
    const box = el('input');
    box.type = 'checkbox';
    box.className = 'pick-box';
    box.value = String(source.id);
    box.dataset.label = source.label;
    box.checked = chosenSet.has(source.id);
    box.addEventListener('change', () => toggle(source.id, box.checked));
    label.append(box, ` ${text}`);
    return label;
  }
  const hooks: TreeHooks = { sourceBox: (s) => sourceBox(s, s.name), error: showError };

  const hosts = new HostList(tree, $('#tree-more'), hooks);
  const sourceTexts = (s: PickerSource) => [s.host, s.hostid, s.plugin, s.name];
  const hostTexts = (h: PickerHost) => [h.name, h.hostid];
  /** The sources the last answer (and its "Show more" pages) loaded, for narrowing and paging. */
  let loaded: (LoadedAnswer<PickerSource> & { q: string; next: string | null }) | null = null;

  function resultRow(s: PickerSource): HTMLLIElement {
    const li = el('li');
    li.dataset.test = 'source-result';
    li.append(sourceBox(s, s.label));
    return li;
  }
  function showCount(): void {
    $('#source-count').textContent = loaded ? `Showing the first ${loaded.results.length}.` : '';
  }
  /** The server's answer to `q` (null: no query, no results list). */
  function showResults(q: string, found: Paged<PickerSource> | null): void {
    loaded = found && { q, words: wordsOf(q), results: found.results, truncated: found.truncated, next: found.next };
    results.replaceChildren(...(found?.results ?? []).map(resultRow));
    results.hidden = found === null;
    $('#source-more').hidden = !found?.truncated;
    $('#source-none').hidden = found === null || found.results.length > 0;
    showCount();
    results.dataset.query = q;
    results.dataset.state = 'final';
  }
  /** At the keystroke: what is loaded, narrowed to `q`, until the server answers. */
  function narrow(q: string): void {
    const words = wordsOf(q);
    const shownHosts = refine(hosts.answer, words, hostTexts);
    if (shownHosts) hosts.narrow(shownHosts.results);
    const found = words.length ? refine(loaded, words, sourceTexts) : null;
    if (!found) return;
    results.replaceChildren(...found.results.map(resultRow));
    results.hidden = false;
    if (found.whole) $('#source-more').hidden = true;
    // An empty beginning of a cut answer is no "nothing matches": the server says.
    $('#source-none').hidden = !(found.whole && found.results.length === 0);
    results.dataset.query = q.trim();
    results.dataset.state = 'narrowed';
  }
  async function showMore(): Promise<void> {
    const from = loaded;
    if (!from?.next) return;
    try {
      const url = `/picker/sources?limit=${SEARCH_LIMIT}&q=${encodeURIComponent(from.q)}&after=${encodeURIComponent(from.next)}`;
      const page = await api<Paged<PickerSource>>('GET', url);
      if (loaded !== from) return; // a new search replaced the list meanwhile
      loaded = { ...from, results: [...from.results, ...page.results], truncated: page.truncated, next: page.next };
      results.append(...page.results.map(resultRow));
      $('#source-more').hidden = !page.truncated;
      showCount();
    } catch (error) {
      showError((error as Error).message);
    }
  }
  $('#source-more')
    .querySelector('button')
    ?.addEventListener('click', () => void showMore());

  const search = debounced(TYPING_PAUSE_MS, async (value, isLatest, signal) => {
    const q = value.trim();
    try {
      const answer = await api<{ sources: Paged<PickerSource>; hosts: Paged<PickerHost> }>(
        'GET',
        `/picker/search?sources=${SEARCH_LIMIT}&hosts=${HOSTS_SHOWN}&q=${encodeURIComponent(q)}`,
        undefined,
        signal,
      );
      if (!isLatest()) return;
      showError('');
      hosts.show(q, answer.hosts);
      showResults(q, q ? answer.sources : null);
    } catch (error) {
      if (isLatest()) showError((error as Error).message);
    }
  });
  const filter = $<HTMLInputElement>('[data-test=source-search]');
  filter.addEventListener('input', () => {
    narrow(filter.value);
    search(filter.value);
  });
  // Enter in the search box searches; it must not submit the form.
  filter.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());

  renderChosen();
  void start();
  async function start(): Promise<void> {
    try {
      const [showTree] = await Promise.all([hosts.load(''), loadLabels(chosen, labels)]);
      showTree();
      renderChosen();
    } catch (error) {
      showError((error as Error).message);
    }
    form.dataset.ready = '1';
  }

  finishEditor(form, '/rest/views', '/views', editing, () => {
    const data = new FormData(form);
    return {
      name: String(data.get('name') ?? '').trim(),
      comment: String(data.get('comment') ?? ''),
      warning: numberOrNull(data.get('warning')),
      critical: numberOrNull(data.get('critical')),
      sources: [...chosen],
      right_axis: chosen.filter((id) => right.has(id)),
      users: selectedIds(form.querySelector('#share-users')),
      groups: selectedIds(form.querySelector('#share-groups')),
    };
  });
}

/** Labels of the sources a view already has (those the user may not see stay unlabelled). */
async function loadLabels(sourceIds: readonly number[], labels: Map<number, string>): Promise<void> {
  const batches: number[][] = [];
  for (let at = 0; at < sourceIds.length; at += LABEL_BATCH) batches.push(sourceIds.slice(at, at + LABEL_BATCH));
  const answers = await Promise.all(batches.map((b) => api<Bounded<PickerSource>>('GET', `/picker/sources?id=${b.join(',')}`)));
  for (const answer of answers) for (const s of answer.results) labels.set(s.id, s.label);
}
