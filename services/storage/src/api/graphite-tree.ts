import { isSafeName } from '../../../../common/schemas/index.js';
import { filteredHostId } from '../files/layout.js';
import type { Catalog } from './catalog.js';
import { BadParameterError, LimitExceededError } from './errors.js';
import { compileNode, type NodeMatcher } from './glob.js';

/**
 * Numeter's hosts, plugins and data sources as a Graphite tree `host.plugin.ds`:
 *   - host node: the filtered host ID (`HostIDFiltredName`: the ID without space, `"`,
 *     `/`, `.` and `'`, also the host's directory name), so `web01.example.com` is `web01examplecom`;
 *   - plugin and ds nodes: the name with every `.` replaced by `_` (munin multigraph
 *     `if_eth0.errors` is `if_eth0_errors`).
 * Two names that map to the same node are both behind it (render returns both series).
 * Names that fail the shared safe-name rules (they cannot have files) are not in the tree.
 * The tree is walked level by level, one batch of Redis reads per level whatever the
 * number of hosts (Catalog), so `*` only loads the hosts.
 */
export interface Leaf {
  path: string;
  host: string;
  plugin: string;
  ds: string;
}

export interface TreeNode {
  path: string;
  text: string;
  leaf: boolean;
}

export function pluginNode(name: string): string {
  return name.replace(/\./g, '_');
}

export function hostNode(hostId: string): string {
  return filteredHostId(hostId);
}

interface Branch {
  path: string;
  host: string;
  plugin?: string;
}

export class GraphiteTree {
  constructor(
    private readonly catalog: Catalog,
    private readonly maxResults: number,
  ) {}

  /** Nodes (branches and leaves) matched by a find query; any depth 1..3. */
  async find(query: string, parameter: string): Promise<TreeNode[]> {
    const matchers = compilePath(query, parameter);
    if (matchers === null) return [];
    const nodes = new Map<string, TreeNode>();
    const add = (path: string, text: string, leaf: boolean) => {
      if (!nodes.has(path)) nodes.set(path, { path, text, leaf });
      if (nodes.size > this.maxResults) throw this.tooMany(parameter);
    };
    let branches: Branch[] = [];
    for (const [depth, matcher] of matchers.entries()) {
      const last = depth === matchers.length - 1;
      const next: Branch[] = [];
      for (const child of await this.children(branches, depth, matcher, parameter)) {
        if (last) add(child.path, child.text, depth === 2);
        else next.push(child);
      }
      branches = next;
    }
    return [...nodes.values()];
  }

  /** Every leaf (data source) matched by a full `host.plugin.ds` pattern. */
  async leaves(pattern: string, parameter: string): Promise<Leaf[]> {
    const matchers = compilePath(pattern, parameter);
    if (matchers === null || matchers.length !== 3) return [];
    let branches: Branch[] = [];
    for (const depth of [0, 1]) branches = await this.children(branches, depth, matchers[depth], parameter);
    const leaves = await this.children(branches, 2, matchers[2], parameter);
    return leaves.map((l) => ({ path: l.path, host: l.host, plugin: l.plugin as string, ds: l.ds as string }));
  }

  private async children(
    parents: Branch[],
    depth: number,
    matcher: NodeMatcher,
    parameter: string,
  ): Promise<Array<Branch & { text: string; ds?: string }>> {
    const out: Array<Branch & { text: string; ds?: string }> = [];
    const push = (item: Branch & { text: string; ds?: string }) => {
      out.push(item);
      if (out.length > this.maxResults) throw this.tooMany(parameter);
    };
    if (depth === 0) {
      for (const host of await this.catalog.hostIds()) {
        if (!isSafeName(host)) continue;
        const text = hostNode(host);
        if (text && matcher.matches(text)) push({ path: text, host, text });
      }
    } else if (depth === 1) {
      const names = await this.catalog.pluginNamesOf([...new Set(parents.map((p) => p.host))]);
      for (const parent of parents) {
        for (const plugin of names.get(parent.host) ?? []) {
          if (!isSafeName(plugin)) continue;
          const text = pluginNode(plugin);
          if (matcher.matches(text)) push({ path: `${parent.path}.${text}`, host: parent.host, plugin, text });
        }
      }
    } else {
      const sources = await this.catalog.dataSourcesOf(parents.map((p) => ({ host: p.host, plugin: p.plugin as string })));
      for (const [i, parent] of parents.entries()) {
        for (const ds of sources[i]) {
          if (!isSafeName(ds)) continue;
          const text = pluginNode(ds);
          if (matcher.matches(text)) push({ path: `${parent.path}.${text}`, host: parent.host, plugin: parent.plugin, ds, text });
        }
      }
    }
    return out;
  }

  private tooMany(parameter: string): LimitExceededError {
    return new LimitExceededError(
      'max_find_results',
      `${parameter} matches more than max_find_results (${this.maxResults}) nodes: use a narrower pattern`,
      parameter,
    );
  }
}

/** One matcher per node; null when the path is deeper than host.plugin.ds (nothing can match). */
function compilePath(pattern: string, parameter: string): NodeMatcher[] | null {
  const nodes = splitPath(pattern);
  if (nodes.some((n) => n === '')) {
    throw new BadParameterError(parameter, `${parameter}: ${JSON.stringify(pattern.slice(0, 80))} is not a path like host.plugin.ds`);
  }
  if (nodes.length > 3) return null;
  return nodes.map((node) => compileNode(node, parameter));
}

/** Splits on `.` outside `{...}` and `[...]` (a value list may hold no dot, but be safe). */
function splitPath(pattern: string): string[] {
  const nodes: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of pattern) {
    if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && depth > 0) depth--;
    if (c === '.' && depth === 0) {
      nodes.push(current);
      current = '';
    } else current += c;
  }
  nodes.push(current);
  return nodes;
}
