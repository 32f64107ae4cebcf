import { ApiError, el } from './api.js';

/**
 * Form plumbing of the alert editors: values by REST field path (the inputs' names), errors
 * shown next to the field the server names (`critical.value` under `critical`), fields shown
 * for the chosen kind only, and a two-step delete without dialogs.
 */
export type Form = HTMLFormElement;

export function input(form: Form, name: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null {
  return form.elements.namedItem(name) as HTMLInputElement | null;
}

export function text(form: Form, name: string): string {
  return input(form, name)?.value.trim() ?? '';
}

/** A text or null when empty. */
export function optional(form: Form, name: string): string | null {
  return text(form, name) || null;
}

/** A number; empty is null so the server names the missing field instead of reading 0. */
export function number(form: Form, name: string): number | null {
  const v = text(form, name);
  return v === '' ? null : Number(v);
}

export function checked(form: Form, name: string): boolean {
  return (input(form, name) as HTMLInputElement | null)?.checked ?? false;
}

export function set(form: Form, name: string, value: string | number | boolean | null | undefined): void {
  const field = input(form, name);
  if (!field) return;
  if (field instanceof HTMLInputElement && field.type === 'checkbox') field.checked = Boolean(value);
  else field.value = value === null || value === undefined ? '' : String(value);
}

export function clearErrors(form: Form): void {
  for (const p of Array.from(form.querySelectorAll<HTMLElement>('.field-error, #form-error'))) p.textContent = '';
}

export function showError(form: Form, error: unknown): void {
  const message = (error as Error).message;
  const parts = error instanceof ApiError && error.field ? error.field.split('.') : [];
  let box: HTMLElement | null = null;
  for (let n = parts.length; n > 0 && !box; n--)
    box = form.querySelector<HTMLElement>(`.field-error[data-for="${CSS.escape(parts.slice(0, n).join('.'))}"]`);
  box ??= form.querySelector<HTMLElement>('#form-error');
  if (box) {
    box.textContent = message;
    box.scrollIntoView({ block: 'nearest' });
  }
}

/** Labels carrying `attribute` are shown when their list of values holds the select's value. */
export function showFor(form: Form, selectName: string, attribute: string, scope: ParentNode = form): void {
  const select = input(form, selectName);
  if (!select) return;
  const update = () => {
    for (const label of Array.from(scope.querySelectorAll<HTMLElement>(`[${attribute}]`)))
      label.hidden = !(label.getAttribute(attribute) ?? '').split(' ').includes(select.value);
  };
  select.addEventListener('change', update);
  update();
}

/** A button that asks "Sure?" on the first click and acts on the second. */
export function confirmButton(label: string, action: () => Promise<void>): HTMLButtonElement {
  const button = el('button', label, 'small danger');
  button.type = 'button';
  button.onclick = () => {
    if (button.dataset.armed !== 'yes') {
      button.dataset.armed = 'yes';
      button.textContent = `${label}: sure?`;
      return;
    }
    void action();
  };
  return button;
}

export function smallButton(label: string, action: () => void): HTMLButtonElement {
  const button = el('button', label, 'small');
  button.type = 'button';
  button.onclick = action;
  return button;
}

export function listStatus(message: string, isError = false): void {
  const status = document.querySelector<HTMLElement>('#list-status');
  if (!status) return;
  status.textContent = message;
  status.className = isError ? 'error' : 'muted';
}
