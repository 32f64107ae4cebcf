import { api, el } from './api.js';

/** Admin tables over the REST API: list, delete, create from a JSON body. */
type Row = Record<string, unknown> & { id: number };
const table = document.querySelector<HTMLTableElement>('#admin-table');
const status = document.querySelector<HTMLElement>('#admin-status');
const errorBox = document.querySelector<HTMLElement>('#admin-error');
const HIDDEN = new Set(['url', 'text']);
let kind = location.hash.slice(1) || 'users';
/** Id of the row being edited (PATCH), or null to create (POST). */
let editing: number | null = null;
const READ_ONLY = new Set(['id', 'url', 'text', 'has_password', 'has_token', 'date_joined', 'prefix', 'created_at', 'last_used_at']);

function setEditing(row: Row | null): void {
  editing = row?.id ?? null;
  const form = document.querySelector<HTMLFormElement>('#admin-create');
  const area = form?.querySelector('textarea');
  const button = form?.querySelector('button');
  if (area) area.value = row ? JSON.stringify(Object.fromEntries(Object.entries(row).filter(([k]) => !READ_ONLY.has(k))), null, 2) : '{}';
  if (button) button.textContent = row ? `Save ${kind} ${row.id}` : 'Create';
}

function cell(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (value === null || value === undefined) return '';
  return String(value);
}

async function show(): Promise<void> {
  if (!table) return;
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('.tabs a')))
    a.classList.toggle('active', a.dataset.kind === kind);
  const kindLabel = document.querySelector('#admin-kind');
  if (kindLabel) kindLabel.textContent = kind;
  try {
    const page = await api<{ count: number; results: Row[] }>('GET', `/rest/${kind}?page_size=200`);
    const columns = [...new Set(page.results.flatMap((r) => Object.keys(r)))].filter((c) => !HIDDEN.has(c));
    const head = el('tr');
    head.append(...columns.map((c) => el('th', c)), el('th'));
    table.tHead?.replaceChildren(head);
    table.tBodies[0].replaceChildren(
      ...page.results.map((r) => {
        const tr = el('tr');
        tr.append(...columns.map((c) => el('td', cell(r[c]))));
        const del = el('button', 'Delete', 'danger');
        del.type = 'button';
        del.onclick = async () => {
          if (!confirm(`Delete ${kind} ${r.id}?`)) return;
          await api('DELETE', `/rest/${kind}/${r.id}`).catch((e: Error) => alert(e.message));
          void show();
        };
        const edit = el('button', 'Edit');
        edit.type = 'button';
        edit.onclick = () => setEditing(r);
        const td = el('td');
        td.append(edit, del);
        tr.append(td);
        return tr;
      }),
    );
    if (status) status.textContent = `${page.count} ${kind}`;
  } catch (error) {
    if (status) status.textContent = (error as Error).message;
  }
}

window.addEventListener('hashchange', () => {
  kind = location.hash.slice(1) || 'users';
  setEditing(null);
  void show();
});
document.querySelector<HTMLFormElement>('#admin-create')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target as HTMLFormElement;
  if (errorBox) errorBox.textContent = '';
  try {
    const body = JSON.parse(String(new FormData(form).get('body')));
    if (editing === null) await api('POST', `/rest/${kind}`, body);
    else await api('PATCH', `/rest/${kind}/${editing}`, body);
    setEditing(null);
    void show();
  } catch (error) {
    if (errorBox) errorBox.textContent = (error as Error).message;
  }
});
void show();
