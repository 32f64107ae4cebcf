import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, type TimerHandle, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { containedPath } from '../files/layout.js';
import type { IndexWriter } from '../index/index-writer.js';

export interface CleanerOptions {
  index: IndexWriter;
  wspRoot: string;
  markAfterDays: number;
  removeFiles: boolean;
  graceDays: number;
  intervalSeconds: number;
  /** Last-seen ages are counted in whole epoch seconds read from it, and the passes timed by it. */
  clock: Clock;
  /** Called with each removed `.wsp` path before removal, so open handles are dropped. */
  onFileRemoved?: (file: string) => void;
  /** Called with each removed host ID (memoised locations). */
  onHostRemoved?: (hostId: string) => void;
  logger?: Logger;
}

export interface CleanResult {
  hostsMarked: number;
  pluginsMarked: number;
  hostsRemoved: number;
  pluginsRemoved: number;
}

/**
 * What the original left as deprecated, wired: hosts and plugins whose last data or info
 * (LAST_SEEN, LAST_SEEN@<host>) is older than `markAfterDays` are marked in DELETED_HOSTS
 * (host → dir) and DELETED_PLUGINS (`host@plugin` → dir), the original's shapes. A mark is
 * cleared as soon as the host or plugin sends again. With `removeFiles`, a host or plugin
 * still unseen `graceDays` after being marked has its directory and index entries removed.
 * Hosts without a last-seen time (indexed by the original) are left alone.
 */
export class Cleaner {
  private timer: TimerHandle | undefined;
  private running: Promise<CleanResult> | undefined;
  private readonly totals: CleanResult & { runs: number; errors: number } = {
    hostsMarked: 0,
    pluginsMarked: 0,
    hostsRemoved: 0,
    pluginsRemoved: 0,
    runs: 0,
    errors: 0,
  };

  constructor(private readonly opts: CleanerOptions) {}

  /** A pass every `intervalSeconds` (the next one is set when one starts, as an interval would). */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.timer = this.opts.clock.setTimeout(tick, this.opts.intervalSeconds * 1000);
      this.runOnce().catch((error: Error) => {
        this.totals.errors++;
        this.opts.logger?.warn({ reason: error.message }, 'cleaning failed; retrying at the next interval');
      });
    };
    this.timer = this.opts.clock.setTimeout(tick, this.opts.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  stats(): Record<string, number> {
    return { ...this.totals };
  }

  /** One pass; concurrent calls share the running pass. */
  runOnce(): Promise<CleanResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<CleanResult> {
    const { index } = this.opts;
    const now = wholeSecondsOf(this.opts.clock);
    const markBefore = now - this.opts.markAfterDays * 86_400;
    const removeBefore = markBefore - this.opts.graceDays * 86_400;
    const result: CleanResult = { hostsMarked: 0, pluginsMarked: 0, hostsRemoved: 0, pluginsRemoved: 0 };
    const directories = await index.hostDirectories();
    for (const [hostId, seen] of await index.hostsLastSeen()) {
      const dirText = directories.get(hostId);
      if (!dirText) continue;
      const dir = containedPath(this.opts.wspRoot, dirText);
      if (seen < markBefore) {
        if (this.opts.removeFiles && seen < removeBefore) {
          await this.removeTree(dir);
          await index.removeHost(hostId);
          this.opts.onHostRemoved?.(hostId);
          result.hostsRemoved++;
        } else if (await index.markHostDeleted(hostId, dir)) {
          result.hostsMarked++;
        }
        continue;
      }
      await this.cleanPlugins(hostId, dir, markBefore, removeBefore, result);
    }
    this.totals.runs++;
    for (const key of ['hostsMarked', 'pluginsMarked', 'hostsRemoved', 'pluginsRemoved'] as const) this.totals[key] += result[key];
    if (result.hostsMarked + result.pluginsMarked + result.hostsRemoved + result.pluginsRemoved > 0)
      this.opts.logger?.info(result, 'cleaning pass');
    return result;
  }

  private async cleanPlugins(hostId: string, dir: string, markBefore: number, removeBefore: number, result: CleanResult): Promise<void> {
    const { index } = this.opts;
    for (const [plugin, seen] of await index.pluginsLastSeen(hostId)) {
      if (!(seen < markBefore)) continue; // an unreadable (NaN) time is never old
      const pluginDir = containedPath(dir, plugin);
      if (this.opts.removeFiles && seen < removeBefore) {
        await this.removeTree(pluginDir);
        await index.removePlugin(hostId, plugin);
        result.pluginsRemoved++;
      } else if (await index.markPluginDeleted(hostId, plugin, pluginDir)) {
        result.pluginsMarked++;
      }
    }
  }

  private async removeTree(dir: string): Promise<void> {
    await this.forgetFiles(dir);
    await rm(dir, { recursive: true, force: true });
  }

  private async forgetFiles(dir: string): Promise<void> {
    let list: Dirent[];
    try {
      list = await readdir(dir, { withFileTypes: true, recursive: true });
    } catch {
      return;
    }
    for (const entry of list) {
      if (entry.isFile() && entry.name.endsWith('.wsp')) this.opts.onFileRemoved?.(join(entry.parentPath, entry.name));
    }
  }
}
