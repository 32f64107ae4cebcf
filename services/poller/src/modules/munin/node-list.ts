import { defaultGroup, type MuninConfNode, readMuninConf } from '../../../../../common/munin/index.js';
import { nameProblem } from '../../../../../common/schemas/index.js';
import type { CentralNode } from './central.js';

/**
 * The nodes a central poller polls: those of `munin_conf` and of the plain `nodes` list
 * (`[group;]name[=address][:port]`, separated by commas or white space; the address
 * defaults to the name, the port to 4949, the group as in munin.conf). The host ID is
 * `host_id_format` with `{name}` and `{group}` replaced (default `{name}`, the Munin host
 * name: stable across restarts and what `import-munin` writes).
 */
export interface NodeListResult {
  nodes: CentralNode[];
  problems: string[];
  /** What the read depended on (munin.conf and its includes), to notice a change. */
  watched: { files: string[]; directories: string[] };
}

export interface NodeListSettings {
  munin_conf: string;
  nodes: string;
  host_id_format: string;
}

const ENTRY = /^(?:([^;=:\s]+(?:;[^;=:\s]+)*);)?([A-Za-z0-9_][-A-Za-z0-9_.]*)(?:=([A-Za-z0-9][-A-Za-z0-9_.]*))?(?::(\d{1,5}))?$/;

/** Syntax problems of a `nodes` value (used by the config validation). */
export function nodeListProblems(text: string): string[] {
  return parseNodeList(text).problems;
}

export function parseNodeList(text: string): { nodes: MuninConfNode[]; problems: string[] } {
  const nodes: MuninConfNode[] = [];
  const problems: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const match = ENTRY.exec(entry);
    const port = match?.[4] ? Number(match[4]) : 4949;
    if (!match || port < 1 || port > 65535) {
      problems.push(`entry ${JSON.stringify(entry.slice(0, 80))} is not [group;]name[=address][:port]`);
      continue;
    }
    const name = match[2];
    nodes.push({
      name,
      group: match[1] ?? defaultGroup(name),
      address: match[3] ?? name,
      port,
      useNodeName: false,
      thresholds: [],
      graphOverrides: [],
      source: `[MuninModule] nodes entry ${entry}`,
    });
  }
  return { nodes, problems };
}

export function centralNodes(settings: NodeListSettings): NodeListResult {
  const problems: string[] = [];
  const found: MuninConfNode[] = [];
  const watched: NodeListResult['watched'] = { files: [], directories: [] };
  if (settings.munin_conf) {
    const conf = readMuninConf(settings.munin_conf);
    found.push(...conf.nodes);
    problems.push(...conf.problems);
    watched.files = conf.files;
    watched.directories = conf.directories;
  }
  const listed = parseNodeList(settings.nodes);
  found.push(...listed.nodes);
  problems.push(...listed.problems);
  const nodes: CentralNode[] = [];
  const byHostId = new Map<string, string>();
  for (const node of found) {
    const hostId = settings.host_id_format.replaceAll('{name}', node.name).replaceAll('{group}', node.group);
    const problem = nameProblem(hostId);
    if (problem) {
      problems.push(`${node.source}: host ID ${JSON.stringify(hostId.slice(0, 80))} ${problem}; host skipped`);
      continue;
    }
    const earlier = byHostId.get(hostId);
    if (earlier) {
      problems.push(`${node.source}: host ID ${hostId} is already used by ${earlier}; host skipped`);
      continue;
    }
    byHostId.set(hostId, node.source);
    nodes.push({
      hostId,
      name: node.name,
      group: node.group,
      address: node.address,
      port: node.port,
      useNodeName: node.useNodeName,
      ...(node.graphOverrides.length > 0 && { graphOverrides: node.graphOverrides }),
    });
  }
  return { nodes, problems, watched };
}
