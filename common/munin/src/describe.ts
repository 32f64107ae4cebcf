import { type FieldInfo, FieldType, toFieldName } from '../../schemas/index.js';

/**
 * Turns a parsed munin config section into a plugin description. Every attribute is
 * kept: the ones the schema knows go to their place, the rest (and known ones whose
 * value is not valid, e.g. `min abc`) go verbatim to `graph` / the field's `extra`.
 */
/** One graph as munin describes it: attributes as sent, fields by sanitised name. */
export interface MuninGraph {
  /** The plugin name, or the multigraph section name (`diskstats_latency.sda`). */
  name: string;
  /** Graph-level attributes, key as sent (`graph_title`, `update`, `host_name`...). */
  graph: ReadonlyMap<string, string>;
  fields: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Fields that had values (dirtyconfig or fetch); described as GAUGE when not configured. */
  values?: ReadonlyArray<{ field: string }>;
}

/** A graph's description: the poller's plugin description, the storage's plugin info. */
export interface MuninGraphDescription {
  plugin: string;
  title: string;
  vlabel: string;
  base: 1000 | 1024;
  category: string;
  order: string[];
  info: string;
  graph?: Record<string, string>;
  fields: Record<string, FieldInfo>;
}

const DRAW = /^(LINE[0-3]?|AREA|STACK|AREASTACK|LINESTACK[0-3]?)$/;
const COLOUR = /^[0-9A-Fa-f]{6}$/;
const GRAPH_KEYS_IN_PLACE = new Set(['graph_title', 'graph_vlabel', 'graph_category', 'graph_info', 'graph_order']);

const clip = (text: string, max: number): string => (text.length > max ? text.slice(0, max) : text);

export function describeSection(section: MuninGraph): MuninGraphDescription {
  const graph = section.graph;
  const description: MuninGraphDescription = {
    plugin: section.name,
    title: clip(graph.get('graph_title') ?? section.name, 256),
    vlabel: clip(graph.get('graph_vlabel') ?? '', 256),
    base: baseOf(graph.get('graph_args')),
    category: clip(graph.get('graph_category') ?? 'other', 64),
    order: orderOf(graph.get('graph_order')),
    info: clip(graph.get('graph_info') ?? '', 4096),
    fields: {},
  };
  const others: Record<string, string> = {};
  for (const [key, value] of graph) {
    if (GRAPH_KEYS_IN_PLACE.has(key)) continue;
    others[clip(key.startsWith('graph_') ? key.slice(6) : key, 64)] = clip(value, 1024);
  }
  if (Object.keys(others).length) description.graph = others;
  for (const [name, attributes] of section.fields) description.fields[name] = fieldInfoOf(name, attributes);
  for (const { field } of section.values ?? []) description.fields[field] ??= { label: field, type: 'GAUGE' };
  return description;
}

/** `--base 1024` anywhere in graph_args (the original only looked at the very start). */
function baseOf(args: string | undefined): 1000 | 1024 {
  return args && /(^|\s)--base\s+1024(\s|$)/.test(args) ? 1024 : 1000;
}

/** graph_order may borrow fields (`name=othergraph.field`); the name is before `=`. */
function orderOf(order: string | undefined): string[] {
  if (!order) return [];
  const names = order
    .split(/\s+/)
    .filter(Boolean)
    .map((item) => toFieldName(item.split('=')[0]));
  return [...new Set(names)];
}

export function fieldInfoOf(name: string, attributes: ReadonlyMap<string, string>): FieldInfo {
  const info: FieldInfo = { label: name, type: 'GAUGE' };
  const extra: Record<string, string> = {};
  for (const [key, value] of attributes) {
    if (!applyKnown(info, key, value)) extra[clip(key, 64)] = clip(value, 1024);
  }
  if (Object.keys(extra).length) info.extra = extra;
  return info;
}

/** Sets a known attribute when its value is valid; false sends it to `extra`. */
function applyKnown(info: FieldInfo, key: string, value: string): boolean {
  switch (key) {
    case 'label':
      info.label = clip(value, 256);
      return true;
    case 'type': {
      const type = FieldType.safeParse(value.toUpperCase());
      if (type.success) info.type = type.data;
      return type.success;
    }
    case 'draw':
      if (DRAW.test(value)) info.draw = value;
      return DRAW.test(value);
    case 'colour':
      if (COLOUR.test(value)) info.colour = value;
      return COLOUR.test(value);
    case 'min':
    case 'max': {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) return false;
      info[key] = number;
      return true;
    }
    case 'graph':
      if (!/^(yes|no|true|false|on|off|1|0)$/i.test(value)) return false;
      info.graph = /^(yes|true|on|1)$/i.test(value);
      return true;
    case 'negative':
      info.negative = toFieldName(value);
      return true;
    case 'cdef':
      info.cdef = clip(value, 1024);
      return true;
    case 'warning':
    case 'critical':
      info[key] = clip(value, 64);
      return true;
    case 'info':
      info.info = clip(value, 4096);
      return true;
    default:
      return false;
  }
}
