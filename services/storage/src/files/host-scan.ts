import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RebuiltPlugin } from '../index/index-writer.js';

/** The plugins of a host directory with their data sources (`*.wsp`) and newest modification time. */
export async function scanHostDirectory(dir: string): Promise<{ plugins: Map<string, RebuiltPlugin>; newest: number }> {
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

/** Sub-directories, hidden ones left out. */
export async function directories(dir: string): Promise<string[]> {
  return (await entries(dir)).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}
