import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import { findHostDirectory, readHostMarker } from './host-directories.js';
import { directories } from './host-scan.js';
import { containedPath } from './layout.js';

/** How long one walk of the tree's hosts is reused: many requests during a rebuild cost one walk. */
const HOSTS_REUSE_SECONDS = 10;

/**
 * The file tree read as the index would say it, for the API when the index does not know
 * a host (lost and not rebuilt yet) or a plugin (DS@ empty): every plugin and data source
 * that has a `.wsp` file can be found and read from the files alone. Read-only: the
 * index is refilled by the rebuild, never from here.
 */
export class HostFiles {
  private lastWalk: { at: number; hosts: Promise<Map<string, string>> } | undefined;

  constructor(
    private readonly wspRoot: string,
    private readonly hashChars: number,
    /** How old the last walk is, in whole epoch seconds, is read from it. */
    private readonly clock: Clock,
  ) {}

  /** The host's directory by the layout's rules, or null when it has none. */
  locate(hostId: string): Promise<string | null> {
    return findHostDirectory(this.wspRoot, this.hashChars, hostId);
  }

  /** plugin → data sources (sorted) that have a file, for a host directory. */
  async plugins(dir: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const plugin of (await directories(dir)).sort()) {
      const sources = await this.dataSources(dir, plugin);
      if (sources.length) out.set(plugin, sources);
    }
    return out;
  }

  /** The data sources of one plugin directory that have a file. */
  async dataSources(dir: string, plugin: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(containedPath(dir, plugin));
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith('.wsp') && !name.startsWith('.') && name.length > '.wsp'.length)
      .map((name) => name.slice(0, -'.wsp'.length))
      .sort();
  }

  /**
   * Every host the tree holds, ID → directory: `<hash>/<dir>` with the ID from the
   * directory's marker, or the directory's name when it has none (the original's). For the
   * host list while the index is being rebuilt (one walk serves every request for a few seconds).
   */
  hosts(): Promise<Map<string, string>> {
    const now = wholeSecondsOf(this.clock);
    if (this.lastWalk === undefined || now - this.lastWalk.at >= HOSTS_REUSE_SECONDS || now < this.lastWalk.at) {
      const hosts = this.walkHosts();
      hosts.catch(() => {
        this.lastWalk = undefined; // a failed walk is not reused
      });
      this.lastWalk = { at: now, hosts };
    }
    return this.lastWalk.hosts;
  }

  private async walkHosts(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const hash of (await directories(this.wspRoot)).sort()) {
      if (!/^[0-9a-f]{1,32}$/.test(hash)) continue;
      for (const name of (await directories(join(this.wspRoot, hash))).sort()) {
        const dir = containedPath(this.wspRoot, hash, name);
        const hostId = (await readHostMarker(dir))?.hostId ?? name;
        if (!found.has(hostId)) found.set(hostId, dir);
      }
    }
    return found;
  }
}
