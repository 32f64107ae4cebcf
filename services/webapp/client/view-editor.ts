import { api, el } from './api.js';
import { debounced, TYPING_PAUSE_MS } from './debounce.js';
import { finishEditor, ids, listRow, numberOrNull, selectedIds } from './editor-form.js';
import { type Bounded, loadHosts, type PickerSource, type TreeHooks } from './source-tree.js';

/**
 * View editor (`/views/new`, `/views/:id/edit`): tick data sources in the lazy host → plugin →
 * source tree or in the server-side search's results (several hosts allowed); the chosen list
 * keeps the drawing order and which sources go on the right y axis. Save = POST or PATCH
 * `/rest/views`. Only what is shown is in the page: checkboxes are synced from `chosen` (a Set,
 * so a sync costs the boxes shown, whatever the number of sources chosen).
 */
/** Results of one search: more go behind the "more…" line. */
const SEARCH_LIMIT = 50;
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

  function showResults(q: string, found: Bounded<PickerSource> | null): void {
    results.replaceChildren(
      ...(found?.results ?? []).map((s) => {
        const li = el('li');
        li.dataset.test = 'source-result';
        li.append(sourceBox(s, s.label));
        return li;
      }),
    );
    results.hidden = found === null;
    $('#source-more').hidden = !found?.truncated;
    $('#source-none').hidden = found === null || found.results.length > 0;
    results.dataset.query = q;
  }
  const search = debounced(TYPING_PAUSE_MS, async (value, isLatest) => {
    const q = value.trim();
    try {
      const [found, showTree] = await Promise.all([
        q ? api<Bounded<PickerSource>>('GET', `/picker/sources?limit=${SEARCH_LIMIT}&q=${encodeURIComponent(q)}`) : null,
        loadHosts(tree, $('#tree-more'), q, hooks),
      ]);
      if (!isLatest()) return;
      showError('');
      showTree();
      showResults(q, found);
    } catch (error) {
      if (isLatest()) showError((error as Error).message);
    }
  });
  const filter = $<HTMLInputElement>('#source-filter');
  filter.addEventListener('input', () => search(filter.value));
  // Enter in the search box searches; it must not submit the form.
  filter.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());

  renderChosen();
  void start();
  async function start(): Promise<void> {
    try {
      const [showTree] = await Promise.all([loadHosts(tree, $('#tree-more'), '', hooks), loadLabels(chosen, labels)]);
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
