import { MAX_NAME_LENGTH } from '../../../../../common/schemas/index.js';

/**
 * Graphite paths to numeter's host / plugin / data source. By default the first node is
 * the host ID, the last the data source, the nodes between (joined with `.`) the plugin;
 * an optional prefix is stripped first. Templates in the style of InfluxDB's Graphite
 * input cover other layouts: `[filter] template`, template nodes `host`, `plugin`, `ds`,
 * `skip` (or empty), the last one may end with `*` to take every remaining node. Several
 * nodes of one role are joined with `.`. A template without `host` puts the series on the
 * poller's own host. The first template whose filter matches wins; one without a filter
 * applies when no filtered one does; the default rule applies when none does.
 *
 * Path nodes are restricted to letters, digits and `_ - : @ + = % ~`: the names become
 * file names, Redis keys and Graphite path nodes, where `/`, quotes, glob characters
 * (`* ? [ ] { }`), commas and parentheses (Graphite's target syntax) would break them.
 */
export type NameProblem = 'unsafe_name' | 'unmapped';

export interface SeriesName {
  /** null: the poller's own host. */
  host: string | null;
  plugin: string;
  ds: string;
}

type Role = 'host' | 'plugin' | 'ds' | 'skip';

export interface Template {
  filter: RegExp[] | null;
  roles: Role[];
  /** The last role takes every remaining node. */
  rest: boolean;
  source: string;
  /** The source text (--print-config joins the list with commas). */
  toString(): string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const NODE = /^[A-Za-z0-9_\-:@+=%~]+$/;
const MAX_CACHED = 100_000;

export function nodeIsSafe(node: string): boolean {
  return node.length > 0 && node.length <= MAX_NAME_LENGTH && NODE.test(node) && node !== '__proto__';
}

/** `[filter] template`; throws TemplateError naming what is wrong. */
export function parseTemplate(source: string): Template {
  const words = source.trim().split(/\s+/);
  if (words.length === 0 || words.length > 2 || words[0] === '')
    throw new TemplateError(`template ${JSON.stringify(source)} is not "[filter] template"`);
  const [filterText, templateText] = words.length === 2 ? words : [null, words[0]];
  const nodes = templateText.split('.');
  const rest = nodes[nodes.length - 1].endsWith('*');
  if (rest) nodes[nodes.length - 1] = nodes[nodes.length - 1].slice(0, -1);
  const roles = nodes.map((node): Role => {
    const role = node === '' ? 'skip' : node;
    if (role !== 'host' && role !== 'plugin' && role !== 'ds' && role !== 'skip')
      throw new TemplateError(`template ${JSON.stringify(source)}: node ${JSON.stringify(node)} is not host, plugin, ds or skip`);
    return role;
  });
  for (const needed of ['plugin', 'ds'] as const)
    if (!roles.includes(needed)) throw new TemplateError(`template ${JSON.stringify(source)} has no ${needed} node`);
  const text = source.trim();
  return { filter: filterText === null ? null : compileFilter(filterText, source), roles, rest, source: text, toString: () => text };
}

/** Filter nodes: literal text and `*` (any run of characters inside one node). */
function compileFilter(filter: string, source: string): RegExp[] {
  return filter.split('.').map((node) => {
    if (node === '' || !/^[A-Za-z0-9_\-:@+=%~*]+$/.test(node))
      throw new TemplateError(
        `template ${JSON.stringify(source)}: filter node ${JSON.stringify(node)} may hold only name characters and *`,
      );
    return new RegExp(`^${node.replace(/\*/g, '[^.]*')}$`);
  });
}

export function parseTemplates(text: string): Template[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(parseTemplate);
}

export class NameMapper {
  private readonly cache = new Map<string, SeriesName | NameProblem>();
  private readonly withFilter: Template[];
  private readonly fallback: Template | undefined;

  constructor(private readonly options: { prefix: string; templates: Template[] }) {
    this.withFilter = options.templates.filter((t) => t.filter !== null);
    this.fallback = options.templates.find((t) => t.filter === null);
  }

  map(path: string): SeriesName | NameProblem {
    const cached = this.cache.get(path);
    if (cached !== undefined) return cached;
    const result = this.resolve(path);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(path, result);
    return result;
  }

  private resolve(path: string): SeriesName | NameProblem {
    const stripped = this.options.prefix && path.startsWith(this.options.prefix) ? path.slice(this.options.prefix.length) : path;
    const nodes = stripped.split('.');
    if (!nodes.every(nodeIsSafe)) return 'unsafe_name';
    const template = this.withFilter.find((t) => filterMatches(t.filter as RegExp[], nodes)) ?? this.fallback;
    const name = template ? applyTemplate(template, nodes) : defaultRule(nodes);
    if (!name) return 'unmapped';
    if ((name.host?.length ?? 0) > MAX_NAME_LENGTH || name.plugin.length > MAX_NAME_LENGTH || name.ds.length > MAX_NAME_LENGTH)
      return 'unsafe_name';
    return name;
  }
}

function filterMatches(filter: RegExp[], nodes: string[]): boolean {
  return nodes.length >= filter.length && filter.every((re, i) => re.test(nodes[i]));
}

function defaultRule(nodes: string[]): SeriesName | null {
  if (nodes.length < 3) return null;
  return { host: nodes[0], plugin: nodes.slice(1, -1).join('.'), ds: nodes[nodes.length - 1] };
}

function applyTemplate(template: Template, nodes: string[]): SeriesName | null {
  const { roles, rest } = template;
  if (rest ? nodes.length < roles.length : nodes.length !== roles.length) return null;
  const parts: Record<Role, string[]> = { host: [], plugin: [], ds: [], skip: [] };
  for (const [i, node] of nodes.entries()) parts[roles[Math.min(i, roles.length - 1)]].push(node);
  return { host: parts.host.length ? parts.host.join('.') : null, plugin: parts.plugin.join('.'), ds: parts.ds.join('.') };
}
