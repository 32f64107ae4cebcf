import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { HostFiles } from '../files/host-files.js';
import { containedPath, UnsafePathError } from '../files/layout.js';
import { decodeJsonObject, encodeHostInfo, type JsonObject, placeholderHostInfo, placeholderPluginInfo } from '../index/codecs.js';
import type { IndexReader, PluginEntries, PluginEntry } from '../index/index-reader.js';
import { CorruptIndexError, IndexUnavailableError, NotFoundError, quote } from './errors.js';

export type { JsonObject } from '../index/codecs.js';

/**
 * What the API knows of hosts, plugins and data sources: the Redis index (IndexReader),
 * completed by the file tree (HostFiles) so that history stays reachable when the index
 * lost it. A plugin known only from its files (DS@) is served with a minimal info until
 * its poller sends the real one; a host the index cannot locate is looked for in the tree.
 * Everything stored came from pollers, so maps keyed by names are null-prototype objects
 * (a plugin called `__proto__` stays data). Redis failures become a 503.
 */
const REDIS_TIMEOUT_MS = 2000;

export interface PluginRef {
  host: string;
  plugin: string;
}

export class Catalog {
  constructor(
    private readonly index: IndexReader,
    private readonly files: HostFiles,
    private readonly wspRoot: string,
    private readonly logger: Logger,
  ) {}

  /** Every host ID (sorted); while the index is incomplete (lost, rebuilding), the file tree's too. */
  async hostIds(): Promise<string[]> {
    const [ids, complete] = await this.call(() => Promise.all([this.index.hostIds(), this.index.isComplete()]));
    if (complete) return ids;
    return [...new Set([...ids, ...(await this.unindexedHosts(ids)).keys()])].sort();
  }

  /** Every host's stored MyInfo; entries that are not JSON objects are logged and left out. */
  async hosts(): Promise<Record<string, JsonObject>> {
    const [stored, complete] = await this.call(() => Promise.all([this.index.hosts(), this.index.isComplete()]));
    const out = this.validObjects(stored, 'host');
    if (!complete) for (const [host, dir] of await this.unindexedHosts([...stored.keys()])) out[host] = placeholderHost(host, dir);
    return sortedRecord(out);
  }

  async hostInfo(host: string): Promise<JsonObject> {
    const info = await this.call(() => this.index.hostInfo(host));
    if (info === undefined) throw new CorruptIndexError(`stored info of host ${quote(host)} is not a JSON object`);
    if (info !== null) return info;
    const dir = await this.hostDir(host);
    if (dir !== null) return placeholderHost(host, dir);
    await this.requireHost(host);
    return Object.create(null);
  }

  /** 404 unless the index names the host or the file tree has its directory. */
  async requireHost(host: string): Promise<void> {
    if (await this.call(() => this.index.hasHost(host))) return;
    if ((await this.hostDir(host)) === null) throw new NotFoundError(`unknown host ${quote(host)}`, 'host');
  }

  /** plugin → info: the stored ones, then minimal ones for plugins known only from DS@ or the files. */
  async plugins(host: string): Promise<Record<string, JsonObject>> {
    return this.completePlugins(host, await this.call(() => this.index.plugins(host)));
  }

  /** plugins() of many hosts with one index round trip per 500 hosts (the files read only for hosts the index has no DS@ of). */
  async pluginsOfHosts(hosts: readonly string[]): Promise<Map<string, Record<string, JsonObject>>> {
    const entries = await this.call(() => this.index.pluginsOfHosts(hosts));
    const none: PluginEntries = { infos: new Map(), dataSources: new Map() };
    // Hosts whose files must be listed (no DS@ entry): their directories in one round trip too.
    const dirs = await this.hostDirsOf(hosts.filter((host) => (entries.get(host) ?? none).dataSources.size === 0));
    const out = new Map<string, Record<string, JsonObject>>();
    for (const host of hosts) out.set(host, await this.completePlugins(host, entries.get(host) ?? none, dirs.get(host)));
    return out;
  }

  /** `dir`: the host's directory when already looked up (undefined: look it up if needed). */
  private async completePlugins(
    host: string,
    { infos, dataSources }: PluginEntries,
    dir?: string | null,
  ): Promise<Record<string, JsonObject>> {
    const out = this.validObjects(infos, `plugin of host ${quote(host)}`);
    let fromFiles = dataSources;
    if (dataSources.size === 0) {
      if (dir === undefined) dir = await this.hostDir(host);
      fromFiles = dir === null ? new Map() : await this.files.plugins(dir);
    }
    for (const [plugin, sources] of fromFiles) if (!infos.has(plugin)) out[plugin] = placeholderPluginInfo(plugin, sources);
    if (Object.keys(out).length === 0 && infos.size === 0) await this.requireHost(host);
    return sortedRecord(out);
  }

  async pluginInfo(host: string, plugin: string): Promise<JsonObject> {
    const entry = await this.call(() => this.index.plugin(host, plugin));
    const [info] = await this.completed([{ host, plugin }], [entry]);
    if (info !== null) return info;
    await this.requireHost(host);
    throw new NotFoundError(`unknown plugin ${quote(plugin)} of host ${quote(host)}`, 'plugin');
  }

  /** Data sources of a plugin: the `DS@<host>` list (or, without one, the files) and the info's `Infos` keys. */
  async dataSources(host: string, plugin: string, info?: JsonObject): Promise<string[]> {
    const entry = await this.call(() => this.index.plugin(host, plugin));
    const names = new Set(entry.dataSources ?? (await this.fileDataSources(host, plugin)));
    for (const ds of infoKeys(info ?? (await this.pluginInfo(host, plugin)))) names.add(ds);
    return [...names].sort();
  }

  /** Plugin names of many hosts in a few round trips (the Graphite tree's second level). */
  async pluginNamesOf(hosts: readonly string[]): Promise<Map<string, string[]>> {
    const names = await this.call(() => this.index.pluginNamesOf(hosts));
    for (const [host, list] of names) {
      if (list.length > 0) continue;
      const dir = await this.hostDir(host);
      if (dir !== null) names.set(host, [...(await this.files.plugins(dir)).keys()]);
    }
    return names;
  }

  /** Data sources of many plugins in a few round trips (the tree's third level), in the order asked. */
  async dataSourcesOf(refs: readonly PluginRef[]): Promise<string[][]> {
    const entries = await this.call(() => this.index.pluginsOf(refs));
    const out: string[][] = [];
    for (const [i, entry] of entries.entries()) {
      const names = new Set(entry.dataSources ?? []);
      if (entry.info) for (const ds of infoKeys(entry.info)) names.add(ds);
      if (entry.dataSources === null && entry.info === null)
        for (const ds of await this.fileDataSources(refs[i].host, refs[i].plugin)) names.add(ds);
      out.push([...names].sort());
    }
    return out;
  }

  /** The host's `.wsp` directory: `WSP_PATH` (refused unless under the data root), else the file tree's. */
  async hostDir(host: string): Promise<string | null> {
    return this.containedDir(host, (await this.call(() => this.index.hostDirs([host]))).get(host) ?? null);
  }

  /** hostDir of many hosts with one index round trip (a render over 250 hosts made 250 in a row). */
  async hostDirsOf(hosts: readonly string[]): Promise<Map<string, string | null>> {
    const stored = await this.call(() => this.index.hostDirs(hosts));
    const out = new Map<string, string | null>();
    for (const host of hosts) out.set(host, await this.containedDir(host, stored.get(host) ?? null));
    return out;
  }

  private async containedDir(host: string, dir: string | null): Promise<string | null> {
    if (dir === null) return this.files.locate(host);
    try {
      return containedPath(this.wspRoot, dir);
    } catch (error) {
      if (error instanceof UnsafePathError) {
        throw new CorruptIndexError(`stored directory of host ${quote(host)} is outside the data root`, { cause: error });
      }
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.call(() => this.index.ping());
  }

  /** Hosts of the file tree whose directory no indexed host has (host → directory). */
  private async unindexedHosts(indexed: readonly string[]): Promise<Map<string, string>> {
    const dirs = await this.call(() => this.index.hostDirs(indexed));
    const taken = new Set([...dirs.values()].filter((dir) => dir !== null));
    const out = new Map<string, string>();
    for (const [host, dir] of await this.files.hosts()) if (!taken.has(dir) && !dirs.has(host)) out.set(host, dir);
    return out;
  }

  /** Each plugin's info: stored, else minimal from DS@, else minimal from its files; null when none. */
  private async completed(refs: readonly PluginRef[], entries: readonly PluginEntry[]): Promise<Array<JsonObject | null>> {
    const out: Array<JsonObject | null> = [];
    for (const [i, { info, dataSources }] of entries.entries()) {
      const { host, plugin } = refs[i];
      if (info === undefined) throw new CorruptIndexError(`stored info of plugin ${quote(plugin)} is not a JSON object`);
      const sources = info === null ? (dataSources ?? (await this.fileDataSources(host, plugin))) : [];
      out.push(info ?? (sources.length ? placeholderPluginInfo(plugin, sources) : null));
    }
    return out;
  }

  private async fileDataSources(host: string, plugin: string): Promise<string[]> {
    const dir = await this.hostDir(host);
    return dir === null ? [] : this.files.dataSources(dir, plugin);
  }

  private validObjects(raw: ReadonlyMap<string, JsonObject | undefined>, what: string): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = Object.create(null);
    for (const [name, value] of raw) {
      if (value) out[name] = value;
      else this.logger.warn({ name: name.slice(0, 200) }, `stored ${what} is not a JSON object; left out`);
    }
    return out;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (error) {
      throw new IndexUnavailableError({ cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function infoKeys(info: JsonObject): string[] {
  const infos = info.Infos;
  return infos && typeof infos === 'object' ? Object.keys(infos) : [];
}

/** The MyInfo a rebuild would write for a host found in the file tree. */
function placeholderHost(host: string, dir: string): JsonObject {
  const location = { hostId: host, hash: basename(dirname(dir)), dir };
  return decodeJsonObject(encodeHostInfo(placeholderHostInfo(location), location)) as JsonObject;
}

function sortedRecord(record: Record<string, JsonObject>): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = Object.create(null);
  for (const name of Object.keys(record).sort()) out[name] = record[name];
  return out;
}
