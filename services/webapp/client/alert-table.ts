import { type AlertState, stateBadge } from './alert-state.js';
import { api, el } from './api.js';

/**
 * Pieces of the alert tables (Problems, history): links, times, values and a pager. Every
 * text from pollers or users is set with textContent.
 */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export function link(text: string, href: string): HTMLAnchorElement {
  const a = el('a', text);
  a.href = href;
  return a;
}

export function cell(...children: (Node | string)[]): HTMLTableCellElement {
  const td = el('td');
  td.append(...children);
  return td;
}

export function stateCell(state: AlertState): HTMLTableCellElement {
  return cell(stateBadge(state));
}

/** A local time with the full ISO time as tooltip. */
export function timeCell(iso: string): HTMLTableCellElement {
  const td = el('td', new Date(iso).toLocaleString());
  td.title = iso;
  return td;
}

export function valueText(value: number | null): string {
  return value === null ? '' : String(Number(value.toPrecision(6)));
}

/** The host (linked when the webapp knows it) and the series, linked to its graph on the host page. */
export function seriesCells(s: {
  host: number | null;
  host_name: string;
  hostid: string;
  plugin: string;
  field: string;
}): HTMLTableCellElement[] {
  const host = s.host === null ? cell(s.host_name) : cell(link(s.host_name, `/hosts/${s.host}`));
  host.title = s.hostid;
  const series = `${s.plugin} · ${s.field}`;
  const graph = s.host === null ? cell(series) : cell(link(series, `/hosts/${s.host}#graph-${encodeURIComponent(s.plugin)}`));
  return [host, graph];
}

export function ruleCell(s: { rule_key: string; rule_name: string }): HTMLTableCellElement {
  const td = cell(link(s.rule_name, `/alerts/history?rule=${encodeURIComponent(s.rule_key)}`));
  td.title = s.rule_key;
  return td;
}

/** Previous/Next buttons over `page`; `go(n)` loads page n. */
export function pager(page: Page<unknown>, current: number, go: (n: number) => void): void {
  const previous = document.querySelector<HTMLButtonElement>('#previous');
  const next = document.querySelector<HTMLButtonElement>('#next');
  if (previous) {
    previous.disabled = page.previous === null;
    previous.onclick = () => go(current - 1);
  }
  if (next) {
    next.disabled = page.next === null;
    next.onclick = () => go(current + 1);
  }
}

/**
 * Loads one page of an alert table from `url`: its rows into `tbody`, the count (or the
 * error) into `status`, the pager wired to `go`; then counts the load in `body.dataset.loaded`
 * (what the browser tests wait on).
 */
export async function showPage<T>(options: {
  url: string;
  tbody: Element | null | undefined;
  status: HTMLElement | null;
  row: (item: T) => HTMLTableRowElement;
  counted: (count: number) => string;
  current: number;
  go: (n: number) => void;
}): Promise<void> {
  const { status } = options;
  try {
    const page = await api<Page<T>>('GET', options.url);
    options.tbody?.replaceChildren(...page.results.map(options.row));
    if (status) {
      status.className = 'muted';
      status.textContent = options.counted(page.count);
    }
    pager(page, options.current, options.go);
  } catch (error) {
    if (status) {
      status.className = 'error';
      status.textContent = (error as Error).message;
    }
  }
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
}
