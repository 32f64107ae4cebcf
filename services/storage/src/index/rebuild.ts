import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../../common/logging/index.js';
import { readHostMarker } from '../files/host-directories.js';
import { containedPath } from '../files/layout.js';
import type { RebuiltPlugin, StorageIndex } from './storage-index.js';

/**
 * Rebuilds the Redis index from the file tree `<wsp_path>/<hash>/<host>/<plugin>/<ds>.wsp`
 * after Redis lost it (flushed, new server). The host ID is read from the directory's
 * `.numeter-host.json`; directories written by the original Numeter have none, and their
 * filtered name is used as the ID (the original's HostIDFiltredName). Plugin infos and
 * MyInfo details come back with the pollers' next info refresh; data is never lost since
 * it is in the files. Only fills what is missing, so it is safe while ingestion runs.
 */
export interface RebuildResult {
  hosts: number;
  plugins: number;
  dataSources: number;
  /** Host directories without a marker (their ID is the filtered name). */
  hostsWithoutMarker: number;
}

export async function rebuildIndex(opts: { wspRoot: string; index: StorageIndex; logger?: Logger }): Promise<RebuildResult> {
  const result: RebuildResult = { hosts: 0, plugins: 0, dataSources: 0, hostsWithoutMarker: 0 };
  for (const hashDir of await directories(opts.wspRoot)) {
    if (!/^[0-9a-f]{1,32}$/.test(hashDir)) continue;
    for (const hostName of await directories(join(opts.wspRoot, hashDir))) {
      const dir = containedPath(opts.wspRoot, hashDir, hostName);
      const marker = await readHostMarker(dir);
      if (!marker) result.hostsWithoutMarker++;
      const hostId = marker ?? hostName;
      const { plugins, newest } = await scanHost(dir);
      await opts.index.recordRebuiltHost({ hostId, hash: hashDir, dir }, plugins, newest);
      result.hosts++;
      result.plugins += plugins.size;
      for (const p of plugins.values()) result.dataSources += p.dataSources.length;
    }
  }
  opts.logger?.info(result, 'index rebuilt from the file tree');
  return result;
}

async function scanHost(dir: string): Promise<{ plugins: Map<string, RebuiltPlugin>; newest: number }> {
  const plugins = new Map<string, RebuiltPlugin>();
  let newest = 0;
  for (const plugin of await directories(dir)) {
    const dataSources: string[] = [];
    let pluginNewest = 0;
    for (const entry of await entries(join(dir, plugin))) {
      if (!entry.isFile() || !entry.name.endsWith('.wsp') || entry.name.startsWith('.')) continue;
      dataSources.push(entry.name.slice(0, -'.wsp'.length));
      const mtime = Math.floor((await stat(join(dir, plugin, entry.name))).mtimeMs / 1000);
      pluginNewest = Math.max(pluginNewest, mtime);
    }
    if (dataSources.length === 0) continue;
    plugins.set(plugin, { dataSources: dataSources.sort(), lastSeen: pluginNewest });
    newest = Math.max(newest, pluginNewest);
  }
  return { plugins, newest };
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function directories(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}
