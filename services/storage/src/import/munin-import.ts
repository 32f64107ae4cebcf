import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { applyGraphOverrides, describeSection, type MuninGraphOverride, overridesByPlugin } from '../../../../common/munin/index.js';
import {
  describeIssues,
  HostInfoMessage,
  nameProblem,
  PluginInfoMessage,
  toLegacyHostInfo,
  toLegacyPluginInfo,
} from '../../../../common/schemas/index.js';
import type { HostDirectories } from '../files/host-directories.js';
import { seriesFile } from '../files/layout.js';
import type { IndexWriter, RebuiltPlugin } from '../index/index-writer.js';
import { type DatafileGraph, type DatafileHost, parseDatafile, rrdFileName } from './datafile.js';
import type { RrdTool } from './rrdtool.js';
import { ImportError, importRows, type RraRows } from './whisper-import.js';

export interface MuninImportOptions {
  dbdir: string;
  hosts: HostDirectories;
  index: IndexWriter;
  rrdtool: RrdTool;
  /** As the poller's `[MuninModule] host_id_format`: `{name}`, `{group}`. */
  hostIdFormat: string;
  /** munin.conf's graph overrides by `group;name`, laid over the datafile's graphs. */
  graphOverrides?: ReadonlyMap<string, readonly MuninGraphOverride[]>;
  sparse: boolean;
  logger: Logger;
  /** Info timestamps and whisper's `now=`, in whole epoch seconds, are read from it. */
  clock: Clock;
}

export interface MuninImportReport {
  hosts: number;
  plugins: number;
  files: number;
  created: number;
  points: number;
  /** Files and hosts left out, with the reason. */
  skipped: string[];
}

const MAX_RRD_FILES = 5_000_000;

/**
 * `numeter-storage import-munin`: a Munin master's history into this storage. Munin's
 * `datafile` says which hosts, graphs and fields exist and how they are drawn; each
 * field's `<group>/<host>-<graph>-<field>-<type>.rrd` becomes the host's
 * `<plugin>/<field>.wsp` (see whisper-import.ts) and the index learns the host (with its
 * Munin group), the plugin infos and the data sources. One file that cannot be read is
 * reported and skipped; the rest is imported.
 */
export async function importMunin(options: MuninImportOptions): Promise<MuninImportReport> {
  const datafilePath = join(options.dbdir, 'datafile');
  let text: string;
  try {
    text = await readFile(datafilePath, 'utf8');
  } catch (error) {
    throw new ImportError(`cannot read Munin's datafile ${datafilePath}: ${(error as Error).message}`, { cause: error });
  }
  const datafile = parseDatafile(text, datafilePath);
  const report: MuninImportReport = { hosts: 0, plugins: 0, files: 0, created: 0, points: 0, skipped: [...datafile.problems] };
  const rrds = await findRrdFiles(options.dbdir, report.skipped);
  for (const host of datafile.hosts.values()) await importHost(host, rrds, options, report);
  for (const file of rrds.unclaimed()) report.skipped.push(`${file}: not described by the datafile; skipped`);
  return report;
}

async function importHost(host: DatafileHost, rrds: RrdFiles, options: MuninImportOptions, report: MuninImportReport): Promise<void> {
  const hostId = options.hostIdFormat.replaceAll('{name}', host.name).replaceAll('{group}', host.group);
  const problem = nameProblem(hostId);
  if (problem) {
    report.skipped.push(`host ${host.group};${host.name}: host ID ${JSON.stringify(hostId.slice(0, 80))} ${problem}; skipped`);
    return;
  }
  const now = wholeSecondsOf(options.clock);
  const location = await options.hosts.locate(hostId);
  const plugins = new Map<string, RebuiltPlugin>();
  const overrides = overridesByPlugin(options.graphOverrides?.get(`${host.group};${host.name}`) ?? []);
  for (const graph of host.graphs.values()) {
    applyGraphOverrides(graph, overrides.get(graph.name));
    const info = pluginInfo(hostId, graph, now, report);
    if (!info) continue;
    const imported = await importGraph(host, graph, location.dir, rrds, options, report);
    if (imported.dataSources.length === 0) continue;
    plugins.set(graph.name, imported);
    // Last seen = the newest imported point, not the import's time (nor older than what the poller recorded).
    await options.index.writePluginInfo(location, toLegacyPluginInfo(info), imported.lastSeen, 'raise');
    report.plugins++;
  }
  if (plugins.size === 0) return;
  const newest = Math.max(...[...plugins.values()].map((plugin) => plugin.lastSeen));
  await options.index.recordRebuiltHost(location, plugins, newest);
  const hostInfo = HostInfoMessage.parse({
    v: 1,
    kind: 'host',
    hostId,
    timestamp: now,
    name: host.name.slice(0, 256),
    description: `Munin node ${host.name} (group ${host.group})`,
    agentVersion: 'munin import',
    group: host.group.slice(0, 256),
  });
  await options.index.writeHostInfo(location, toLegacyHostInfo(hostInfo), newest, 'raise');
  report.hosts++;
  options.logger.info({ hostId, plugins: plugins.size }, 'munin host imported');
}

function pluginInfo(hostId: string, graph: DatafileGraph, now: number, report: MuninImportReport): PluginInfoMessage | null {
  const parsed = PluginInfoMessage.safeParse({ v: 1, kind: 'info', hostId, timestamp: now, ...describeSection(graph) });
  if (parsed.success) return parsed.data;
  report.skipped.push(`${hostId} ${graph.name}: plugin info is not valid (${describeIssues(parsed.error.issues)}); skipped`);
  return null;
}

async function importGraph(
  host: DatafileHost,
  graph: DatafileGraph,
  hostDir: string,
  rrds: RrdFiles,
  options: MuninImportOptions,
  report: MuninImportReport,
): Promise<RebuiltPlugin> {
  const imported: RebuiltPlugin = { dataSources: [], lastSeen: 0 };
  for (const [field, attributes] of graph.fields) {
    const file = rrds.claim(host, rrdFileName(host.name, graph.name, field, attributes.get('type')));
    if (!file) continue;
    try {
      const rrd = await readRrd(file, options.rrdtool);
      const target = seriesFile(hostDir, graph.name, field);
      const result = importRows(target, rrd.rras, { now: wholeSecondsOf(options.clock), sparse: options.sparse });
      report.files++;
      report.points += result.written;
      if (result.created) report.created++;
      imported.dataSources.push(field);
      imported.lastSeen = Math.max(imported.lastSeen, newestPoint(rrd.rras));
    } catch (error) {
      report.skipped.push(`${file}: ${(error as Error).message}; skipped`);
      options.logger.warn({ file, reason: (error as Error).message }, 'RRD file not imported');
    }
  }
  return imported;
}

/** Start of the newest known row of any RRA (0 when all are unknown). */
function newestPoint(rras: readonly RraRows[]): number {
  let newest = 0;
  for (const rra of rras) for (const [t, value] of rra.points) if (value !== null && t > newest) newest = t;
  return newest;
}

/** Every AVERAGE RRA of a file, as rows at their interval starts (rrdtool prints interval ends). */
export async function readRrd(file: string, rrdtool: RrdTool): Promise<{ lastUpdate: number; rras: RraRows[] }> {
  const info = await rrdtool.info(file);
  if (info.dataSources.length !== 1) throw new ImportError(`has ${info.dataSources.length} data sources; Munin's have one`);
  const rras: RraRows[] = [];
  for (const rra of info.rras.filter((r) => r.cf === 'AVERAGE')) {
    const resolution = info.step * rra.pdpPerRow;
    const end = info.lastUpdate - (info.lastUpdate % resolution);
    const start = end - (rra.rows - 1) * resolution;
    const series = await rrdtool.fetch(file, 'AVERAGE', resolution, start, end);
    if (series.step !== resolution && series.values.length > 1)
      throw new ImportError(`rrdtool fetch gave ${series.step} s rows for the ${resolution} s archive`);
    const points = series.values.map((value, i): [number, number | null] => [series.firstEnd + (i - 1) * resolution, value]);
    rras.push({ resolution, rows: rra.rows, xff: rra.xff, points: points.filter(([t]) => t + resolution <= end) });
  }
  return { lastUpdate: info.lastUpdate, rras };
}

/** The `.rrd` files under dbdir, by name; each can be claimed by one datafile field. */
interface RrdFiles {
  claim(host: DatafileHost, name: string): string | undefined;
  unclaimed(): string[];
}

async function findRrdFiles(dbdir: string, problems: string[]): Promise<RrdFiles> {
  const byName = new Map<string, string[]>();
  const claimed = new Set<string>();
  let count = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < 4) await walk(path, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.rrd') && count++ < MAX_RRD_FILES) {
        const list = byName.get(entry.name) ?? [];
        list.push(path);
        byName.set(entry.name, list);
      }
    }
  };
  await walk(dbdir, 0);
  if (count > MAX_RRD_FILES) problems.push(`${dbdir}: more than ${MAX_RRD_FILES} RRD files; the rest are not imported`);
  return {
    claim(host, name) {
      const candidates = byName.get(name) ?? [];
      // Munin keeps a host's files in its group's directory: prefer that one.
      const groupDir = host.group.split(';')[0];
      const file = candidates.find((path) => relative(dbdir, dirname(path)).split('/')[0] === groupDir) ?? candidates[0];
      if (file) claimed.add(file);
      return file;
    },
    unclaimed: () => [...byName.values()].flat().filter((file) => !claimed.has(file)),
  };
}
