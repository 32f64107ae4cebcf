import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import type { PendingSeries } from '../cache/write-cache.js';
import type { FlushTouches, IndexWriter } from '../index/index-writer.js';
import type { SeriesWriter } from './series-writer.js';

export interface FlushWriterOptions {
  writer: SeriesWriter;
  index: IndexWriter;
  /** A flush's last-seen time, in whole epoch seconds, is read from it. */
  clock: Clock;
  yieldEveryPoints?: number;
  /**
   * A host/plugin recorded less than this long ago is not recorded again (its last-seen
   * time, registration and cleared deletion marks are already there); new data sources
   * always are. The cleaner marks after days, so a minute's staleness changes nothing.
   * @defaultValue 60
   */
  lastSeenEverySeconds?: number;
  /** Called after each flush with its duration and size (metrics). */
  onFlush?: (seconds: number, points: number, series: number) => void;
}

const MAX_INDEXED_FILES = 2_000_000;
const MAX_RECORDED_HOSTS = 100_000;

/**
 * The write cache's flush: writes each pending series with one updateMany, then records
 * in the index what the flush touched (hosts, last-seen, data sources with new files) in
 * one Redis pipeline. Only when both are done do the waiting messages get acked. The
 * event loop is given back every `yieldEveryPoints` so deliveries and acks keep flowing.
 */
export class FlushWriter {
  /** Series files whose data source is known to be in DS@<host> already. */
  private readonly indexedFiles = new Set<string>();
  /** [timestamp, value] pairs reused from series to series (the writer copies them out). */
  private readonly pairs: Array<[number, number]> = [];
  private readonly batch: Array<[number, number]> = [];
  /** hostId → plugin → epoch seconds it was last recorded in the index. */
  private readonly recorded = new Map<string, Map<string, number>>();

  constructor(private readonly opts: FlushWriterOptions) {}

  /** The FlushFunction of the write cache. */
  readonly flush = async (series: PendingSeries[]): Promise<Map<string, Error>> => {
    const started = process.hrtime.bigint();
    const failures = new Map<string, Error>();
    const touches: FlushTouches = { hosts: new Map(), plugins: new Map(), dataSources: new Map(), now: wholeSecondsOf(this.opts.clock) };
    const newlyIndexed: string[] = [];
    const yieldEvery = this.opts.yieldEveryPoints ?? 5000;
    let sinceYield = 0;
    let points = 0;
    for (const s of series) {
      try {
        const result = this.opts.writer.write({ file: s.file, plugin: s.plugin, ds: s.ds, points: this.pointsOf(s) });
        if (result.created || !this.indexedFiles.has(s.file)) {
          addSource(touches, s);
          newlyIndexed.push(s.file);
        }
        if (this.isDue(s, touches.now)) touch(touches, s);
      } catch (error) {
        failures.set(s.file, error as Error);
      }
      points += s.timestamps.length;
      sinceYield += s.timestamps.length;
      if (sinceYield >= yieldEvery) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    if (touches.hosts.size > 0 || touches.dataSources.size > 0) {
      await this.opts.index.recordFlush(touches);
      this.remember(touches);
    }
    if (this.indexedFiles.size + newlyIndexed.length > MAX_INDEXED_FILES) this.indexedFiles.clear(); // re-announcing is harmless
    for (const file of newlyIndexed) this.indexedFiles.add(file);
    this.opts.onFlush?.(Number(process.hrtime.bigint() - started) / 1e9, points, series.length);
    return failures;
  };

  /** The series' points as the writer takes them, in reused pairs: valid until the next call. */
  private pointsOf(s: PendingSeries): Array<[number, number]> {
    const { pairs, batch } = this;
    batch.length = 0;
    for (let i = 0; i < s.timestamps.length; i++) {
      let pair = pairs[i];
      if (pair === undefined) {
        pair = [0, 0];
        pairs.push(pair);
      }
      pair[0] = s.timestamps[i];
      pair[1] = s.values[i];
      batch.push(pair);
    }
    return batch;
  }

  /** After an index rebuild or a clean-up: re-announce every data source on its next write. */
  forgetIndexed(): void {
    this.indexedFiles.clear();
    this.recorded.clear();
  }

  /** After the cleaner removed a host: record it in full when it comes back. */
  forgetHost(hostId: string): void {
    this.recorded.delete(hostId);
  }

  /** True when the series' host/plugin was not recorded in the last `lastSeenEverySeconds`. */
  private isDue(s: PendingSeries, now: number): boolean {
    const at = this.recorded.get(s.host.hostId)?.get(s.plugin);
    return at === undefined || now - at >= (this.opts.lastSeenEverySeconds ?? 60);
  }

  private remember(touches: FlushTouches): void {
    if (this.recorded.size > MAX_RECORDED_HOSTS) this.recorded.clear(); // recording again is harmless
    for (const [hostId, plugins] of touches.plugins) {
      let known = this.recorded.get(hostId);
      if (!known) {
        known = new Map();
        this.recorded.set(hostId, known);
      }
      for (const plugin of plugins) known.set(plugin, touches.now);
    }
  }
}

function touch(touches: FlushTouches, s: PendingSeries): void {
  touches.hosts.set(s.host.hostId, s.host);
  const plugins = touches.plugins.get(s.host.hostId) ?? new Set<string>();
  touches.plugins.set(s.host.hostId, plugins);
  plugins.add(s.plugin);
}

function addSource(touches: FlushTouches, s: PendingSeries): void {
  const plugins = touches.dataSources.get(s.host.hostId) ?? new Map<string, Set<string>>();
  touches.dataSources.set(s.host.hostId, plugins);
  const sources = plugins.get(s.plugin) ?? new Set<string>();
  plugins.set(s.plugin, sources);
  sources.add(s.ds);
}
