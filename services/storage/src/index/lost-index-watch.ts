import type { Clock, TimerHandle } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import type { IndexWriter } from './index-writer.js';
import { type RebuildResult, rebuildIndex } from './rebuild.js';

export interface LostIndexWatchOptions {
  index: IndexWriter;
  wspRoot: string;
  checkEverySeconds: number;
  /** The checks are timed by it, and the rebuilt index's marker time comes from it. */
  clock: Clock;
  onRebuilt: () => void;
  logger?: Logger;
}

/**
 * Notices that Redis lost the index (the index-complete marker of keys.ts is gone: a
 * flush, a new server, keys deleted) and rebuilds it from the file tree, at start and then
 * every `checkEverySeconds`, while ingestion goes on (the rebuild only fills what is
 * missing). Meanwhile the API completes what it cannot find in the index from the files.
 * A rebuild, whatever started it, makes `onRebuilt` drop what other parts remember of the
 * old index (host locations, data sources already announced).
 */
export class LostIndexWatch {
  private timer: TimerHandle | undefined;
  private running: Promise<RebuildResult> | undefined;
  private readonly counters = { checks: 0, rebuilds: 0, errors: 0 };

  constructor(private readonly opts: LostIndexWatchOptions) {}

  /** Periodic checks (the first one is start-up's: call ensureComplete() before consuming). */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = () => {
      this.timer = this.opts.clock.setTimeout(tick, this.opts.checkEverySeconds * 1000);
      this.ensureComplete().catch((error: Error) => {
        this.counters.errors++;
        this.opts.logger?.warn({ reason: error.message }, 'index check failed; retrying at the next interval');
      });
    };
    this.timer = this.opts.clock.setTimeout(tick, this.opts.checkEverySeconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Rebuilds when the marker is missing; null when the index is complete. */
  async ensureComplete(): Promise<RebuildResult | null> {
    this.counters.checks++;
    if (this.running) return this.running;
    if (await this.opts.index.isComplete()) return null;
    const result = await this.rebuild();
    if (result.hosts) this.opts.logger?.warn(result, 'the index was lost: rebuilt it from the file tree');
    return result;
  }

  /** Rebuilds now (`--rebuild-index`); a rebuild already running is shared. */
  rebuild(): Promise<RebuildResult> {
    this.running ??= rebuildIndex({ wspRoot: this.opts.wspRoot, index: this.opts.index, clock: this.opts.clock, logger: this.opts.logger })
      .then((result) => {
        this.counters.rebuilds++;
        this.opts.onRebuilt();
        return result;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }
}
