import { toFieldName } from '../../../../../common/schemas/index.js';

/**
 * Parses the lines of a munin `config` or `fetch` response the way the reference master
 * does (Munin::Master::Node parse_service_config / parse_service_data), including
 * multigraph sections and dirtyconfig values. Never throws: lines it cannot read are
 * reported in `problems` and skipped.
 */
export interface ParsedValue {
  field: string;
  value: number | null;
  /** Seconds since the epoch when the plugin sent `field.value EPOCH:VALUE`. */
  timestamp?: number;
}

export interface GraphSection {
  /** The plugin name, or the multigraph section name (`diskstats_latency.sda`). */
  name: string;
  /** Graph-level attributes, key as sent (`graph_title`, `update`, `host_name`...). */
  graph: Map<string, string>;
  /** Field attributes by sanitised field name, in the order first seen. */
  fields: Map<string, Map<string, string>>;
  values: ParsedValue[];
}

export interface ParsedResponse {
  sections: Map<string, GraphSection>;
  problems: string[];
}

const MULTIGRAPH = /^multigraph\s+(.+?)\s*$/;
const GRAPH_ATTRIBUTE = /^([^\s.]+)\s+(.+?)\s*$/;
const VALUE_LINE = /^([^.]+)\.value\s+(.+?)\s*$/;
const FIELD_ATTRIBUTE = /^([^.]+)\.(\S+)\s+(.+?)\s*$/;
const FIELD_WITHOUT_VALUE = /^([^.]+)\.(\S+)\s*$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMPED = /^(\d+):(.+)$/;

/** The master's rule for multigraph names: `[-\w.:]`, no leading/trailing dot, no `..`. */
export function multigraphNameProblem(name: string): string | null {
  if (name === 'multigraph') return 'is reserved';
  if (!/^[-\w.:]+$/.test(name)) return 'has characters outside [-A-Za-z0-9_.:]';
  if (name.startsWith('.') || name.endsWith('.') || name.includes('..')) return 'has a leading, trailing or double dot';
  return null;
}

/** `fetch` responses carry only values (and `field.extinfo`): graph attributes there are reported. */
export function parseResponse(plugin: string, lines: readonly string[], kind: 'config' | 'fetch' = 'config'): ParsedResponse {
  const sections = new Map<string, GraphSection>();
  const problems: string[] = [];
  const sectionNamed = (name: string): GraphSection => {
    let section = sections.get(name);
    if (!section) {
      section = { name, graph: new Map(), fields: new Map(), values: [] };
      sections.set(name, section);
    }
    return section;
  };
  let current: GraphSection | null = null;
  let skipping = false;
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const multigraph = MULTIGRAPH.exec(line);
    if (multigraph) {
      const problem = multigraphNameProblem(multigraph[1]);
      if (problem) problems.push(`multigraph name ${JSON.stringify(multigraph[1].slice(0, 80))} ${problem}; section skipped`);
      skipping = problem !== null;
      current = skipping ? null : sectionNamed(multigraph[1]);
      continue;
    }
    if (skipping) continue;
    current ??= sectionNamed(plugin);
    readLine(current, line, problems, kind);
  }
  return { sections, problems };
}

function readLine(section: GraphSection, line: string, problems: string[], kind: 'config' | 'fetch'): void {
  let match = GRAPH_ATTRIBUTE.exec(line);
  if (match) {
    if (kind === 'config') section.graph.set(match[1], match[2]);
    else problems.push(`${section.name}: unexpected line in fetch output ${JSON.stringify(line.slice(0, 80))}`);
    return;
  }
  match = VALUE_LINE.exec(line);
  if (match) {
    const parsed = parseValue(match[2]);
    if (parsed.problem) problems.push(`${section.name}: ${match[1]}.value ${parsed.problem}`);
    section.values.push({
      field: toFieldName(match[1]),
      value: parsed.value,
      ...(parsed.timestamp !== undefined && { timestamp: parsed.timestamp }),
    });
    return;
  }
  match = FIELD_ATTRIBUTE.exec(line);
  if (match) {
    const field = toFieldName(match[1]);
    const attributes = section.fields.get(field) ?? new Map<string, string>();
    section.fields.set(field, attributes);
    attributes.set(match[2], match[3]);
    return;
  }
  if (FIELD_WITHOUT_VALUE.test(line)) return;
  problems.push(`${section.name}: cannot read line ${JSON.stringify(line.slice(0, 80))}`);
}

/** `U`, a number (decimal or scientific), or `EPOCH:VALUE`. */
export function parseValue(text: string): { value: number | null; timestamp?: number; problem?: string } {
  const stamped = TIMESTAMPED.exec(text);
  if (stamped) {
    const inner = parseValue(stamped[2]);
    return { ...inner, timestamp: Number(stamped[1]) };
  }
  if (text === 'U') return { value: null };
  if (!NUMBER.test(text)) return { value: null, problem: `${JSON.stringify(text.slice(0, 40))} is not a number; taken as unknown` };
  const value = Number(text);
  return Number.isFinite(value) ? { value } : { value: null, problem: `${text.slice(0, 40)} is out of range; taken as unknown` };
}
