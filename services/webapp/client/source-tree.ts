import { api, el } from './api.js';

/**
 * The view editor's data-source tree, loaded one level per expand from the `/picker` endpoints:
 * hosts (at most `HOSTS_SHOWN`, the search finds the others) → plugins on opening a host →
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
interface PickerHost {
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

/** Hosts listed at the top of the tree; the search box reaches every other one. */
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

/** Fills `tree` with the hosts whose name or ID hold every word of `q` (all hosts when empty). */
export async function loadHosts(tree: HTMLElement, more: HTMLElement | null, q: string, hooks: TreeHooks): Promise<() => void> {
  const hosts = await api<Bounded<PickerHost>>('GET', `/picker/hosts?limit=${HOSTS_SHOWN}&q=${encodeURIComponent(q)}`);
  return () => {
    tree.replaceChildren(...hosts.results.map((h) => hostNode(h, hooks)));
    if (more) more.hidden = !hosts.truncated;
  };
}
