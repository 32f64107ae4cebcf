import { ApiError, api, el } from './api.js';

/**
 * What the view and dashboard editors share: REST errors shown next to the field they name,
 * the users/groups sharing selects (filled from what the REST API lists), delete with an
 * in-page confirmation, and ordered list rows. Text is set with textContent only.
 */

export const ids = (csv: string | undefined): number[] =>
  csv
    ? csv
        .split(',')
        .map(Number)
        .filter((n) => n > 0)
    : [];

export function clearErrors(form: HTMLFormElement): void {
  for (const p of Array.from(form.querySelectorAll<HTMLElement>('.field-error, #form-error'))) p.textContent = '';
}

/** Typing in a field clears the error shown next to it. */
export function clearOnInput(form: HTMLFormElement): void {
  form.addEventListener('input', (e) => {
    const name = (e.target as HTMLInputElement).name;
    const box = name ? form.querySelector<HTMLElement>(`.field-error[data-for="${CSS.escape(name)}"]`) : null;
    if (box) box.textContent = '';
  });
}

/** `sources.2` goes under the `sources` field; an error naming no known field goes at the bottom. */
export function showError(form: HTMLFormElement, error: unknown): void {
  const message = (error as Error).message;
  const field = error instanceof ApiError && error.field ? error.field.split('.')[0] : '';
  const box =
    (field && form.querySelector<HTMLElement>(`.field-error[data-for="${CSS.escape(field)}"]`)) ||
    form.querySelector<HTMLElement>('#form-error');
  if (box) {
    box.textContent = message;
    box.scrollIntoView({ block: 'nearest' });
  }
}

interface Named {
  id: number;
  name?: string;
  username?: string;
}
interface Page {
  results: Named[];
}

async function listed(url: string): Promise<Named[] | null> {
  try {
    return (await api<Page>('GET', `${url}?page_size=1000`)).results;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 401)) return null;
    throw error;
  }
}

function fillSelect(select: HTMLSelectElement, rows: { id: number; label: string }[], chosen: readonly number[]): void {
  const known = new Set(rows.map((r) => r.id));
  // Keep the object's current sharing even for users/groups this user may not list.
  const all = [...rows, ...chosen.filter((id) => !known.has(id)).map((id) => ({ id, label: `#${id}` }))];
  select.replaceChildren(
    ...all.map((r) => {
      const option = el('option', r.label);
      option.value = String(r.id);
      option.selected = chosen.includes(r.id);
      return option;
    }),
  );
}

/** Users (and superusers) and groups the REST API lists to this user; groups are superuser-only there. */
export async function loadSharing(form: HTMLFormElement): Promise<void> {
  const share = form.querySelector<HTMLElement>('.share');
  const users = form.querySelector<HTMLSelectElement>('#share-users');
  const groups = form.querySelector<HTMLSelectElement>('#share-groups');
  if (!share || !users || !groups) return;
  try {
    const [plain, supers, groupRows] = await Promise.all([listed('/rest/users'), listed('/rest/superusers'), listed('/rest/groups')]);
    const people = [...(plain ?? []), ...(supers ?? [])].map((u) => ({ id: u.id, label: u.username ?? `#${u.id}` }));
    people.sort((a, b) => a.label.localeCompare(b.label));
    fillSelect(users, people, ids(share.dataset.users));
    fillSelect(
      groups,
      (groupRows ?? []).map((g) => ({ id: g.id, label: g.name ?? `#${g.id}` })),
      ids(share.dataset.groups),
    );
    if (groupRows === null) {
      const note = form.querySelector<HTMLElement>('#share-note');
      if (note) note.textContent = 'Only superusers may list groups: the current groups are kept.';
    }
  } catch (error) {
    showError(form, error);
  }
  share.dataset.ready = '1';
}

export const selectedIds = (select: HTMLSelectElement | null): number[] =>
  select ? Array.from(select.selectedOptions).map((o) => Number(o.value)) : [];

/** The Delete button asks in the page (no dialog), then DELETEs and goes to the dashboards page. */
export function setupDelete(form: HTMLFormElement, url: string): void {
  const start = form.querySelector<HTMLButtonElement>('#delete');
  const confirm = form.querySelector<HTMLElement>('#confirm-delete');
  if (!start || !confirm) return;
  start.addEventListener('click', () => {
    confirm.hidden = false;
    start.hidden = true;
  });
  form.querySelector('#confirm-no')?.addEventListener('click', () => {
    confirm.hidden = true;
    start.hidden = false;
  });
  form.querySelector('#confirm-yes')?.addEventListener('click', async () => {
    clearErrors(form);
    try {
      await api('DELETE', url);
      location.assign('/dashboards');
    } catch (error) {
      showError(form, error);
    }
  });
}

/** A row of an ordered list: its label, then small buttons (`[text, handler]`). */
export function listRow(label: string, buttons: [string, () => void][], extra?: HTMLElement): HTMLLIElement {
  const li = el('li');
  const tools = el('span', undefined, 'row-tools');
  if (extra) tools.append(extra);
  for (const [text, onClick] of buttons) {
    const b = el('button', text, 'small');
    b.type = 'button';
    b.addEventListener('click', onClick);
    tools.append(b);
  }
  li.append(el('span', label, 'row-label'), tools);
  return li;
}

/** `""` → null, anything else a number (the server rejects what is not finite, naming the field). */
export function numberOrNull(value: FormDataEntryValue | null): number | null {
  const s = String(value ?? '').trim();
  return s === '' ? null : Number(s);
}

/**
 * Saves a view or dashboard (POST when new, PATCH when `editing`), then opens its page;
 * REST errors are shown next to the field they name. Wires delete, error clearing and sharing.
 */
export function finishEditor(form: HTMLFormElement, rest: string, page: string, editing: number | null, body: () => unknown): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const saved = await api<{ id: number }>(editing ? 'PATCH' : 'POST', editing ? `${rest}/${editing}` : rest, body());
      location.assign(`${page}/${saved.id}`);
    } catch (error) {
      showError(form, error);
    }
  });
  if (editing) setupDelete(form, `${rest}/${editing}`);
  clearOnInput(form);
  void loadSharing(form);
}
