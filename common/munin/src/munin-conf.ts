import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { graphOverrides, type MuninGraphOverride } from './graph-overrides.js';
import { hostContacts, type MuninContact, type MuninThresholdOverride, readContactLine, thresholdOverrides } from './munin-conf-alerts.js';

/**
 * Reads the nodes of a Munin master's `munin.conf` (Munin::Master::Config's rules, the
 * parts a poller needs): `[group;host]` or `[host]` sections (nested groups
 * `[a;b;host]` keep `a;b`; without a group, the domain part of the host name, or the
 * name itself when it has no dot), their `address`, `port` (4949), `use_node_name` and
 * `update`, and `includedir` (every file of the directory but hidden and backup files,
 * in name order; a host defined twice is one host, later keys winning). For alerting:
 * global `contact.*` lines, a host's `contacts` and its `plugin.field.warning|critical`
 * overrides (munin-conf-alerts.ts). Graph overrides (`load.graph_title ...`,
 * `load.load.colour ...`: graph-overrides.ts) are kept per host. Never throws for content: each problem names its file and line, and only the
 * host it concerns is left out.
 */
export interface MuninConfNode {
  /** The Munin host name (section name after the last `;`). */
  name: string;
  group: string;
  address: string;
  port: number;
  /** `list` asks for the node's own name (banner) rather than `name`. */
  useNodeName: boolean;
  /** The host's `contacts` (`contacts no`: []); absent when not set (every contact). */
  contacts?: string[];
  /** `plugin.field.warning|critical` lines of the host's section. */
  thresholds: MuninThresholdOverride[];
  /** `plugin.graph_*` and `plugin.field.attribute` lines of the host's section, laid over its plugins' config. */
  graphOverrides: MuninGraphOverride[];
  /** Where the section starts, for messages. */
  source: string;
}

export interface MuninConf {
  nodes: MuninConfNode[];
  /** `dbdir` when set (the importer's default RRD directory). */
  dbdir?: string;
  /** Global `contact.NAME.*` lines, by name in the order first seen. */
  contacts: MuninContact[];
  problems: string[];
  /** The files read and the includedir directories listed (to notice a change). */
  files: string[];
  directories: string[];
}

const HOST_NAME = /^[A-Za-z0-9_][-A-Za-z0-9_.]*$/;
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_INCLUDE_DEPTH = 4;

interface Section {
  name: string;
  group: string;
  source: string;
  keys: Map<string, { value: string; where: string }>;
}

export function readMuninConf(file: string): MuninConf {
  const out: MuninConf = { nodes: [], contacts: [], problems: [], files: [], directories: [] };
  const sections = new Map<string, Section>();
  const contacts = new Map<string, MuninContact>();
  readFileInto(resolve(file), { out, sections, contacts }, 0);
  out.contacts = [...contacts.values()];
  for (const section of sections.values()) {
    const node = nodeOf(section, out.problems);
    if (node) out.nodes.push(node);
  }
  return out;
}

interface Reading {
  out: MuninConf;
  sections: Map<string, Section>;
  contacts: Map<string, MuninContact>;
}

function readFileInto(file: string, reading: Reading, depth: number): void {
  const { out, sections } = reading;
  out.files.push(file);
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    out.problems.push(`${file}: cannot read: ${(error as Error).message}`);
    return;
  }
  let current: Section | null = null;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const where = `${file}:${index + 1}`;
    const line = lines[index].replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('[')) {
      current = sectionOf(line, where, out.problems);
      // As Munin, a host defined twice is one host: the later keys win.
      if (current) current = sections.get(`${current.group};${current.name}`) ?? current;
      if (current) sections.set(`${current.group};${current.name}`, current);
      continue;
    }
    const match = /^(\S+)\s*(.*)$/.exec(line) as RegExpExecArray;
    const [key, value] = [match[1], match[2]];
    if (current) {
      current.keys.set(key, { value, where });
    } else if (readContactLine(key, value, where, reading.contacts, out.problems)) {
      // a contact.* line, read
    } else if (key === 'includedir') {
      includeDirectory(resolve(dirname(file), value), where, reading, depth);
    } else if (key === 'dbdir' && value) {
      out.dbdir = value;
    }
  }
}

function includeDirectory(dir: string, where: string, reading: Reading, depth: number): void {
  const { out } = reading;
  if (depth >= MAX_INCLUDE_DEPTH) {
    out.problems.push(`${where}: includedir ${dir} nested deeper than ${MAX_INCLUDE_DEPTH} levels; ignored`);
    return;
  }
  let names: string[];
  out.directories.push(dir);
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    out.problems.push(`${where}: includedir ${dir}: ${(error as Error).message}`);
    return;
  }
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('~') || /\.dpkg-(old|new|dist|tmp)$/.test(name)) continue;
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      continue;
    }
    readFileInto(path, reading, depth + 1);
  }
}

function sectionOf(line: string, where: string, problems: string[]): Section | null {
  const match = /^\[([^\]]*)\]$/.exec(line);
  if (!match) {
    problems.push(`${where}: cannot read section header ${JSON.stringify(line.slice(0, 80))}; its keys are ignored`);
    return null;
  }
  const parts = match[1].split(';').map((part) => part.trim());
  const name = parts.pop() as string;
  // `[group;]` describes a group, not a host: nothing to poll.
  if (name === '') return null;
  if (!HOST_NAME.test(name) || name.length > 253) {
    problems.push(`${where}: host name ${JSON.stringify(name.slice(0, 80))} is not a valid Munin host name; host skipped`);
    return null;
  }
  const group = parts.length ? parts.join(';') : defaultGroup(name);
  return { name, group, source: where, keys: new Map() };
}

/** Munin's group for `[host]`: the domain part, or the name itself without a dot. */
export function defaultGroup(name: string): string {
  const dot = name.indexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1) : name;
}

function nodeOf(section: Section, problems: string[]): MuninConfNode | null {
  const update = section.keys.get('update');
  if (update && /^(no|false|off|0)$/i.test(update.value)) return null;
  const address = section.keys.get('address');
  if (!address || address.value === '') {
    problems.push(`${section.source}: host ${section.name} has no address; host skipped`);
    return null;
  }
  const hostAddress = addressOf(address.value);
  if (!hostAddress) {
    problems.push(`${address.where}: address ${JSON.stringify(address.value.slice(0, 80))} is not a host name or IP address; host skipped`);
    return null;
  }
  const port = section.keys.get('port');
  const portNumber = port ? Number(port.value) : (hostAddress.port ?? 4949);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535 || (port && !/^\d+$/.test(port.value))) {
    problems.push(`${port?.where}: port ${JSON.stringify(port?.value.slice(0, 20))} is not a port number (1-65535); host skipped`);
    return null;
  }
  const useNodeName = section.keys.get('use_node_name');
  if (useNodeName && !/^(yes|no|true|false|on|off|1|0)$/i.test(useNodeName.value)) {
    problems.push(
      `${useNodeName.where}: use_node_name must be yes or no, got ${JSON.stringify(useNodeName.value.slice(0, 20))}; host skipped`,
    );
    return null;
  }
  const contacts = hostContacts(section.keys.get('contacts')?.value);
  return {
    name: section.name,
    group: section.group,
    address: hostAddress.host,
    port: portNumber,
    useNodeName: useNodeName ? /^(yes|true|on|1)$/i.test(useNodeName.value) : false,
    ...(contacts && { contacts }),
    thresholds: thresholdOverrides(section.keys, problems),
    graphOverrides: graphOverrides(section.keys),
    source: section.source,
  };
}

/** `127.0.0.1`, `node-a.example.com`, `::1`, or munin's `munin://host[:port]`. */
function addressOf(value: string): { host: string; port?: number } | null {
  const uri = /^munin:\/\/([^/:]+)(?::(\d{1,5}))?\/?$/.exec(value);
  const host = uri ? uri[1] : value;
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(host) && !/^[0-9A-Fa-f:]+$/.test(host)) return null;
  return uri?.[2] ? { host, port: Number(uri[2]) } : { host };
}
