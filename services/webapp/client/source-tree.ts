import { api, el } from './api.js';
import { type LoadedAnswer, wordsOf } from './refine.js';

/**
 * The view editor's data-source tree, loaded one level per expand from the `/picker` endpoints:
 * hosts (`HOSTS_SHOWN` a page, "Show more" for the next) → plugins on opening a host →
 * sources on opening a plugin. Nothing is fetched twice; every answer is bounded by the server.
 */
export interface PickerSource {
  id: number;
  name: string;
  plugin: string;
  host: string;
  hostid: string;
  label: string;
}
export interface PickerHost {
  id: number;
  name: string;
  hostid: string;
}
interface PickerPlugin {
  id: number;
  name: string;
}
export interface Bounded<T> {
  results: T[];
  truncated: boolean;
}
/** A bounded answer that goes on: `next` is the `after` of the following page (null: no more). */
export interface Paged<T> extends Bounded<T> {
  next: string | null;
}

/** Hosts a page of the tree lists; "Show more" loads the next page. */
export const HOSTS_SHOWN = 100;

/** What the tree needs from the editor: a checkbox for a source, and where errors go. */
export interface TreeHooks {
  sourceBox(source: PickerSource): HTMLElement;
  error(message: string): void;
}

/** `<details>` that calls `load` the first time it opens, its children going in `body`. */
function lazyDetails(className: string, summary: Node[], load: (body: HTMLElement) => Promise<void>, hooks: TreeHooks): HTMLDetailsElement {
  const details = el('details', undefined, className);
  const head = el('summary');
  head.append(...summary);
  const body = el('div', undefined, 'tree-body');
  details.append(head, body);
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = 'loading';
    body.replaceChildren(el('p', 'Loading…', 'muted'));
    load(body)
      .then(() => {
        details.dataset.loaded = '1';
      })
      .catch((error: Error) => {
        delete details.dataset.loaded;
        body.replaceChildren();
        hooks.error(error.message);
      });
  });
  return details;
}

function truncatedNote(truncated: boolean, what: string): HTMLElement[] {
  return truncated ? [el('p', `More ${what}: search to find the others.`, 'muted')] : [];
}

function pluginNode(plugin: PickerPlugin, hooks: TreeHooks): HTMLDetailsElement {
  const node = lazyDetails(
    'pick-plugin',
    [document.createTextNode(plugin.name)],
    async (body) => {
      const sources = await api<Bounded<PickerSource>>('GET', `/picker/plugins/${plugin.id}/sources`);
      const checks = el('div', undefined, 'checks');
      checks.append(...sources.results.map((s) => hooks.sourceBox(s)));
      body.replaceChildren(checks, ...truncatedNote(sources.truncated, 'sources'));
    },
    hooks,
  );
  node.dataset.id = String(plugin.id);
  return node;
}

function hostNode(host: PickerHost, hooks: TreeHooks): HTMLDetailsElement {
  const node = lazyDetails(
    'pick-host',
    [document.createTextNode(`${host.name} `), el('span', host.hostid, 'muted')],
    async (body) => {
      const plugins = await api<Bounded<PickerPlugin>>('GET', `/picker/hosts/${host.id}/plugins`);
      body.replaceChildren(...plugins.results.map((p) => pluginNode(p, hooks)), ...truncatedNote(plugins.truncated, 'plugins'));
    },
    hooks,
  );
  node.dataset.id = String(host.id);
  node.dataset.name = host.name;
  return node;
}

/**
 * The tree's hosts: a page at a time (`HOSTS_SHOWN`), "Show more" appending the next one from the
 * answer's cursor, for the current query (all hosts when empty). `show` takes an answer fetched
 * elsewhere (the editor's one request per search), `narrow` a list refined in the page meanwhile.
 */
export class HostList {
  private q = '';
  private next: string | null = null;
  private loaded: PickerHost[] = [];
  private generation = 0;

  constructor(
    private readonly tree: HTMLElement,
    private readonly more: HTMLElement,
    private readonly hooks: TreeHooks,
  ) {
    more.querySelector('button')?.addEventListener('click', () => void this.showMore());
  }

  /** The hosts loaded so far for the current query, in the server's order. */
  get answer(): LoadedAnswer<PickerHost> {
    return { words: wordsOf(this.q), results: this.loaded, truncated: this.next !== null };
  }

  async load(q: string, signal?: AbortSignal): Promise<() => void> {
    const page = await api<Paged<PickerHost>>('GET', `/picker/hosts?limit=${HOSTS_SHOWN}&q=${encodeURIComponent(q)}`, undefined, signal);
    return () => this.show(q, page);
  }

  show(q: string, page: Paged<PickerHost>): void {
    this.generation++;
    this.q = q;
    this.loaded = page.results;
    this.next = page.next;
    this.tree.replaceChildren(...page.results.map((h) => hostNode(h, this.hooks)));
    this.more.hidden = page.next === null;
  }

  /** Shows `hosts` (a refinement of what is loaded) until the server's answer comes. */
  narrow(hosts: PickerHost[]): void {
    this.tree.replaceChildren(...hosts.map((h) => hostNode(h, this.hooks)));
  }

  private async showMore(): Promise<void> {
    if (this.next === null) return;
    const mine = this.generation;
    const url = `/picker/hosts?limit=${HOSTS_SHOWN}&q=${encodeURIComponent(this.q)}&after=${encodeURIComponent(this.next)}`;
    try {
      const page = await api<Paged<PickerHost>>('GET', url);
      if (mine !== this.generation) return; // a new search replaced the list meanwhile
      this.loaded = [...this.loaded, ...page.results];
      this.next = page.next;
      this.tree.append(...page.results.map((h) => hostNode(h, this.hooks)));
      this.more.hidden = page.next === null;
    } catch (error) {
      this.hooks.error((error as Error).message);
    }
  }
}
