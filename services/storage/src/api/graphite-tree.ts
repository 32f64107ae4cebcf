import { isSafeName, MAX_NAME_BYTES } from '../../../../common/schemas/index.js';
import { filteredHostId } from '../files/layout.js';
import type { Catalog } from './catalog.js';
import { BadParameterError, LimitExceededError } from './errors.js';
import { compileNode, type NodeMatcher } from './glob.js';
import { TimeSlice } from './time-slice.js';

/** Nodes a path can have: a host, then at most 100 parts of a plugin and 100 of a ds (200-byte names). */
const MAX_DEPTH = 1 + 2 * (MAX_NAME_BYTES / 2);

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

export function hostNode(hostId: string): string {
  return filteredHostId(hostId);
}

/** The tree levels of a plugin or data-source name; null when it cannot be in the tree. */
export function nameNodes(name: string): string[] | null {
  if (!isSafeName(name)) return null;
  const nodes = name.split('.');
  return nodes.includes('') ? null : nodes;
}

interface HostMatch {
  host: string;
  path: string;
}

/** A plugin whose parts matched the pattern's nodes after the host (as far as both go). */
interface PluginMatch extends HostMatch {
  plugin: string;
  nodes: string[];
}

/** What one walk of the tree found: nodes at the pattern's depth. */
interface Found {
  branches: string[];
  leaves: Leaf[];
}

/**
 * Numeter's hosts, plugins and data sources as a Graphite tree, so that a series sent as
 * path P (carbon, StatsD) comes back under P:
 *   - host node: the filtered host ID (`HostIDFiltredName`: the ID without space, `"`,
 *     `/`, `.` and `'`, also the host's directory name), so `web01.example.com` is `web01examplecom`;
 *   - then every `.`-separated part of the plugin name is one level, then every part of the
 *     data-source name: plugin `load.load` with ds `shortterm` is `web1.load.load.shortterm`,
 *     munin multigraph `diskstats_latency.sda` with ds `avgwait` is `h.diskstats_latency.sda.avgwait`.
 * A node can be a leaf and a branch at once (plugin `a` with ds `b` beside plugin `a.b`): find
 * returns both nodes, as graphite-web's store yields both; the routes decide what each format
 * shows. Several (plugin, ds) pairs behind one path (`a.b`/`c` and `a`/`b.c`) are all behind
 * it (render keeps the more complete series). Names that fail the shared safe-name rules
 * (they cannot have files) or hold an empty part (`a..b`: no path can name it) are not in it.
 * Any depth is read in at most three batches of Redis reads whatever the number of hosts
 * (Catalog): hosts, then the plugin names of the matched hosts, then the data sources of
 * the plugins whose parts all matched and that need more levels.
 */
export class GraphiteTree {
  constructor(
    private readonly catalog: Catalog,
    private readonly maxResults: number,
  ) {}

  /** Nodes (branches and leaves) matched by a find query, at any depth; a path may be both. */
  async find(query: string, parameter: string): Promise<TreeNode[]> {
    const found = await this.walk(compilePath(query, parameter), parameter, true);
    const nodes: TreeNode[] = [];
    for (const path of new Set(found.branches)) nodes.push({ path, text: lastNode(path), leaf: false });
    const leafPaths = new Set(found.leaves.map((l) => l.path));
    for (const path of leafPaths) nodes.push({ path, text: lastNode(path), leaf: true });
    if (nodes.length > this.maxResults) throw this.tooMany(parameter);
    return nodes;
  }

  /** Every (host, plugin, ds) whose path matches the pattern (render's fetch). */
  async leaves(pattern: string, parameter: string): Promise<Leaf[]> {
    return (await this.walk(compilePath(pattern, parameter), parameter, false)).leaves;
  }

  private async walk(matchers: NodeMatcher[] | null, parameter: string, withBranches: boolean): Promise<Found> {
    const found: Found = { branches: [], leaves: [] };
    if (matchers === null) return found;
    const hosts = await this.hosts(matchers[0], parameter);
    if (matchers.length === 1) {
      if (withBranches) found.branches = hosts.map((h) => h.path);
      return found;
    }
    const rest = matchers.slice(1);
    const needSources: PluginMatch[] = [];
    const branches = new Set<string>();
    for (const match of await this.plugins(hosts, rest, parameter)) {
      if (match.nodes.length < rest.length) needSources.push(match);
      else if (withBranches) branches.add(joinPath(match.path, match.nodes, rest.length));
    }
    const sources = needSources.length ? await this.catalog.dataSourcesOf(needSources) : [];
    const slice = new TimeSlice();
    for (const [i, match] of needSources.entries()) {
      if (slice.due()) await slice.next();
      const wanted = rest.length - match.nodes.length;
      const matchers = rest.slice(match.nodes.length);
      for (const ds of sources[i]) {
        const nodes = nameNodes(ds);
        if (nodes === null || nodes.length < wanted || (!withBranches && nodes.length > wanted)) continue;
        if (!prefixMatches(nodes, matchers)) continue;
        const base = joinPath(match.path, match.nodes, match.nodes.length);
        if (nodes.length === wanted) found.leaves.push({ path: joinPath(base, nodes, wanted), host: match.host, plugin: match.plugin, ds });
        else branches.add(joinPath(base, nodes, wanted));
        if (found.leaves.length + branches.size > this.maxResults) throw this.tooMany(parameter);
      }
    }
    found.branches = [...branches];
    return found;
  }

  private async hosts(matcher: NodeMatcher, parameter: string): Promise<HostMatch[]> {
    const out: HostMatch[] = [];
    const seen = new Set<string>();
    const slice = new TimeSlice();
    for (const host of await this.catalog.hostIds()) {
      if (slice.due()) await slice.next();
      if (!isSafeName(host)) continue;
      const path = hostNode(host);
      if (!path || !matcher.matches(path)) continue;
      out.push({ host, path });
      seen.add(path);
      if (seen.size > this.maxResults) throw this.tooMany(parameter);
    }
    return out;
  }

  /** Plugins of the hosts whose parts match the nodes after the host, as far as both go. */
  private async plugins(hosts: HostMatch[], rest: NodeMatcher[], parameter: string): Promise<PluginMatch[]> {
    const names = await this.catalog.pluginNamesOf([...new Set(hosts.map((h) => h.host))]);
    const out: PluginMatch[] = [];
    const slice = new TimeSlice();
    for (const { host, path } of hosts) {
      if (slice.due()) await slice.next();
      for (const plugin of names.get(host) ?? []) {
        const nodes = nameNodes(plugin);
        if (nodes === null || !prefixMatches(nodes, rest)) continue;
        out.push({ host, path, plugin, nodes });
        if (out.length > this.maxResults) throw this.tooMany(parameter);
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

/** True when each node matches the matcher at its place, as far as both lists go. */
function prefixMatches(nodes: readonly string[], matchers: readonly NodeMatcher[]): boolean {
  const n = Math.min(nodes.length, matchers.length);
  for (let i = 0; i < n; i++) if (!matchers[i].matches(nodes[i])) return false;
  return true;
}

function joinPath(base: string, nodes: readonly string[], count: number): string {
  return count === 0 ? base : `${base}.${nodes.slice(0, count).join('.')}`;
}

function lastNode(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

/** One matcher per node of the pattern; null when it is deeper than any path can be. */
function compilePath(pattern: string, parameter: string): NodeMatcher[] | null {
  const nodes = splitPath(pattern);
  if (nodes.some((n) => n === '')) {
    throw new BadParameterError(parameter, `${parameter}: ${JSON.stringify(pattern.slice(0, 80))} is not a path like host.plugin.ds`);
  }
  if (nodes.length > MAX_DEPTH) return null;
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
