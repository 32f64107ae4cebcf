import { finishEditor, ids, listRow, selectedIds } from './editor-form.js';

/**
 * Dashboard editor (`/dashboards/new`, `/dashboards/:id/edit`): an ordered list of views (add,
 * remove, move up/down), sharing, save = POST or PATCH `/rest/multiviews`.
 */
const form = document.querySelector<HTMLFormElement>('#dashboard-form');
if (form) setup(form);

function setup(form: HTMLFormElement): void {
  const editing = form.dataset.id ? Number(form.dataset.id) : null;
  const views: number[] = ids(form.dataset.views);
  const choice = form.querySelector<HTMLSelectElement>('#view-choice') as HTMLSelectElement;
  const list = form.querySelector<HTMLOListElement>('#dashboard-views') as HTMLOListElement;
  const empty = form.querySelector<HTMLElement>('#no-view');
  const labelOf = (id: number) =>
    Array.from(choice.options).find((o) => Number(o.value) === id)?.textContent ?? `view #${id} (not visible to you)`;

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
    if (empty) empty.hidden = views.length > 0;
  }
  form.querySelector('#add-view')?.addEventListener('click', () => {
    const id = Number(choice.value);
    if (id > 0 && !views.includes(id)) views.push(id);
    render();
  });

  render();
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
