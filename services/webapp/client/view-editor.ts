import { el } from './api.js';
import { finishEditor, ids, listRow, numberOrNull, selectedIds } from './editor-form.js';

/**
 * View editor (`/views/new`, `/views/:id/edit`): tick data sources in the host → plugin → source
 * tree (several hosts allowed, searchable); the chosen list keeps the drawing order and which
 * sources go on the right y axis. Save = POST or PATCH `/rest/views`.
 */
const form = document.querySelector<HTMLFormElement>('#view-form');
if (form) setup(form);

function setup(form: HTMLFormElement): void {
  const editing = form.dataset.id ? Number(form.dataset.id) : null;
  const chosen: number[] = ids(form.dataset.sources);
  const right = new Set(ids(form.dataset.right));
  const boxes = Array.from(form.querySelectorAll<HTMLInputElement>('.pick-source input[type=checkbox]'));
  const labelOf = (id: number) => boxes.find((b) => Number(b.value) === id)?.dataset.label ?? `source #${id} (not visible to you)`;
  const list = form.querySelector<HTMLOListElement>('#selected-sources') as HTMLOListElement;
  const empty = form.querySelector<HTMLElement>('#no-source');

  function render(): void {
    for (const b of boxes) b.checked = chosen.includes(Number(b.value));
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
    if (empty) empty.hidden = chosen.length > 0;
  }
  function toggle(id: number, on: boolean): void {
    const at = chosen.indexOf(id);
    if (on && at < 0) chosen.push(id);
    if (!on && at >= 0) {
      chosen.splice(at, 1);
      right.delete(id);
    }
    render();
  }
  for (const b of boxes) b.addEventListener('change', () => toggle(Number(b.value), b.checked));
  // Open the hosts and plugins holding chosen sources, so an edit shows where they are.
  for (const b of boxes) if (chosen.includes(Number(b.value))) openParents(b);

  const filter = form.querySelector<HTMLInputElement>('#source-filter');
  filter?.addEventListener('input', () => applyFilter(form, filter.value.trim().toLowerCase()));
  // Enter in the search box filters; it must not submit the form.
  filter?.addEventListener('keydown', (e) => e.key === 'Enter' && e.preventDefault());

  render();
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

function openParents(node: Element): void {
  for (let d = node.parentElement?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
}

/** Show only sources whose "host hostid plugin source" text holds every word typed. */
function applyFilter(form: HTMLFormElement, q: string): void {
  const words = q.split(/\s+/).filter(Boolean);
  for (const plugin of Array.from(form.querySelectorAll<HTMLDetailsElement>('.pick-plugin'))) {
    let any = false;
    for (const label of Array.from(plugin.querySelectorAll<HTMLElement>('.pick-source'))) {
      const text = label.dataset.text ?? '';
      label.hidden = !words.every((w) => text.includes(w));
      any ||= !label.hidden;
    }
    plugin.hidden = !any;
    plugin.open = words.length > 0 && any;
  }
  for (const host of Array.from(form.querySelectorAll<HTMLDetailsElement>('.pick-host'))) {
    const any = Array.from(host.querySelectorAll<HTMLElement>('.pick-plugin')).some((p) => !p.hidden);
    host.hidden = !any && words.length > 0;
    host.open = words.length > 0 && any;
  }
}
