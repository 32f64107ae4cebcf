import type { MuninGraph } from '../../../../common/munin/index.js';
import { toFieldName } from '../../../../common/schemas/index.js';

/**
 * Munin's `datafile` (written by munin-update): `version ...`, then one line per
 * attribute, `GROUP;HOST:SERVICE.ATTRIBUTE VALUE` for a graph and
 * `GROUP;HOST:SERVICE.FIELD.ATTRIBUTE VALUE` for a field, where a multigraph SERVICE has
 * dots itself (`diskstats_latency.sda`) and the master adds field-level copies of graph
 * settings (`graph_data_size`, `update_rate`). Services are recognised by their
 * `graph_title` line, so neither kind of dot is ambiguous. Lines it cannot read are
 * reported with their number; the rest is kept.
 */
export interface DatafileGraph extends MuninGraph {
  graph: Map<string, string>;
  fields: Map<string, Map<string, string>>;
}

export interface DatafileHost {
  group: string;
  name: string;
  graphs: Map<string, DatafileGraph>;
}

export interface Datafile {
  hosts: Map<string, DatafileHost>;
  problems: string[];
}

const LINE = /^([^;:\s][^:\s]*);([^;:\s]+):(\S+)\s(.*)$/;
/** Field attributes the master copies from the graph level: not the plugin's own. */
const MASTER_FIELD_COPIES = new Set(['graph_data_size', 'update_rate']);

export function parseDatafile(text: string, source = 'datafile'): Datafile {
  const entries: Array<{ hostKey: string; group: string; name: string; path: string; value: string }> = [];
  const problems: string[] = [];
  const services = new Map<string, Set<string>>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line === '' || (index === 0 && line.startsWith('version '))) continue;
    const match = LINE.exec(line);
    if (!match) {
      problems.push(`${source}:${index + 1}: cannot read ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const [, group, name, path, value] = match;
    const hostKey = `${group};${name}`;
    entries.push({ hostKey, group, name, path, value });
    if (path.endsWith('.graph_title')) {
      const known = services.get(hostKey) ?? new Set<string>();
      services.set(hostKey, known);
      known.add(path.slice(0, -'.graph_title'.length));
    }
  }
  const hosts = new Map<string, DatafileHost>();
  for (const entry of entries) {
    let host = hosts.get(entry.hostKey);
    if (!host) {
      host = { group: entry.group, name: entry.name, graphs: new Map() };
      hosts.set(entry.hostKey, host);
    }
    place(host, services.get(entry.hostKey) ?? new Set(), entry.path, entry.value);
  }
  return { hosts, problems };
}

function place(host: DatafileHost, services: ReadonlySet<string>, path: string, value: string): void {
  const dot = path.lastIndexOf('.');
  if (dot <= 0) return;
  const owner = path.slice(0, dot);
  const attribute = path.slice(dot + 1);
  if (services.has(owner)) {
    graphOf(host, owner).graph.set(attribute, value);
    return;
  }
  const fieldDot = owner.lastIndexOf('.');
  if (fieldDot <= 0) {
    graphOf(host, owner).graph.set(attribute, value);
    return;
  }
  const service = owner.slice(0, fieldDot);
  if (!services.has(service) && attribute.startsWith('graph_')) {
    graphOf(host, owner).graph.set(attribute, value);
    return;
  }
  if (MASTER_FIELD_COPIES.has(attribute)) return;
  const graph = graphOf(host, service);
  const field = toFieldName(owner.slice(fieldDot + 1));
  const attributes = graph.fields.get(field) ?? new Map<string, string>();
  graph.fields.set(field, attributes);
  attributes.set(attribute, value);
}

function graphOf(host: DatafileHost, service: string): DatafileGraph {
  let graph = host.graphs.get(service);
  if (!graph) {
    graph = { name: service, graph: new Map(), fields: new Map() };
    host.graphs.set(service, graph);
  }
  return graph;
}

/** Munin's RRD file name of a field: `<host>-<service, dots as dashes>-<field>-<g|d|c|a>.rrd`. */
export function rrdFileName(host: string, service: string, field: string, type: string | undefined): string {
  const letter = (type ?? 'GAUGE').trim().charAt(0).toLowerCase() || 'g';
  return `${host}-${service.replaceAll('.', '-')}-${field}-${letter}.rrd`;
}
