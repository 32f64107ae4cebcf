import { type Clock, systemClock, type TimerHandle } from '../../../../common/lifecycle/index.js';
import type { HostLocation } from '../index/codecs.js';

/** One series (one file). The same object is reused for every point of the series. */
export interface SeriesRef {
  file: string;
  host: HostLocation;
  plugin: string;
  ds: string;
}

/** A message's points as parallel arrays (no object per point: less garbage at high rates). */
export interface PointBatch {
  series: SeriesRef[];
  timestamps: number[];
  values: number[];
}

/** A series' pending points as two parallel arrays of doubles: no object per point. */
export interface PendingSeries {
  file: string;
  host: HostLocation;
  plugin: string;
  ds: string;
  timestamps: number[];
  values: number[];
}

/** Writes one generation; returns the series (by file) that failed. Throwing fails them all. */
export type FlushFunction = (series: PendingSeries[]) => Promise<Map<string, Error>>;

export interface WriteCacheOptions {
  maxPoints: number;
  flushPoints: number;
  flushIntervalMs: number;
  flush: FlushFunction;
  /** The flush interval is timed by it. @defaultValue systemClock */
  clock?: Clock;
}

export class CacheStoppedError extends Error {
  override name = 'CacheStoppedError';
}

interface Generation {
  series: Map<SeriesRef, PendingSeries>;
  points: number;
  done: Promise<void>;
  resolve: () => void;
  failures: Map<string, Error>;
  failedAll?: Error;
}

/**
 * Pending points per series, between the consumer and the Whisper files. Messages add
 * their points and wait; the cache writes everything pending in one go ("a generation")
 * when `flushPoints` are pending or the oldest has waited `flushIntervalMs`, so points of
 * one series from many messages reach its file in one write. A message's wait ends when
 * its generation is written and indexed, and fails if any of its series failed, so the
 * consumer acks only stored data.
 *
 * Memory is bounded: when `maxPoints` are held (pending plus being written), add() waits
 * for room before taking more, the consumer stops settling, and the broker stops
 * delivering at the prefetch limit: backpressure, never dropping. A single message larger
 * than the limit is still taken when the cache is empty, so it cannot wait forever.
 */
export class WriteCache {
  private current: Generation = newGeneration();
  private writingPoints = 0;
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> | undefined;
  private roomWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly counters = { pointsAdded: 0, flushes: 0, seriesWritten: 0, backpressureWaits: 0, flushFailures: 0 };

  private readonly clock: Clock;

  constructor(private readonly opts: WriteCacheOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Points held in memory (pending and being written). */
  size(): number {
    return this.current.points + this.writingPoints;
  }

  /** Adds a message's points and resolves once they are written; rejects with the first failure of its series. */
  async add(batch: PointBatch): Promise<void> {
    const count = batch.series.length;
    if (count === 0) return;
    while (this.size() > 0 && this.size() + count > this.opts.maxPoints) {
      if (this.stopped) break;
      this.counters.backpressureWaits++;
      this.scheduleFlush(0);
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.stopped) throw new CacheStoppedError('the write cache is stopping; the message will be redelivered');
    const generation = this.current;
    for (let i = 0; i < count; i++) {
      const ref = batch.series[i];
      let series = generation.series.get(ref);
      if (!series) {
        series = { file: ref.file, host: ref.host, plugin: ref.plugin, ds: ref.ds, timestamps: [], values: [] };
        generation.series.set(ref, series);
      }
      series.timestamps.push(batch.timestamps[i]);
      series.values.push(batch.values[i]);
    }
    generation.points += count;
    this.counters.pointsAdded += count;
    this.scheduleFlush(generation.points >= this.opts.flushPoints ? 0 : this.opts.flushIntervalMs);
    await generation.done;
    if (generation.failedAll) throw generation.failedAll;
    if (generation.failures.size === 0) return;
    for (const ref of batch.series) {
      const failure = generation.failures.get(ref.file);
      if (failure) throw failure;
    }
  }

  /** Writes everything pending now and waits until it is written (used on stop). */
  async drain(): Promise<void> {
    while (this.current.points > 0 || this.flushing) {
      if (!this.flushing) this.startFlush();
      await this.flushing;
    }
  }

  /** Refuses new points, writes what is pending. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeRoomWaiters();
    await this.drain();
    this.clearTimer();
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      pendingPoints: this.current.points,
      writingPoints: this.writingPoints,
      pendingSeries: this.current.series.size,
    };
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushing) return; // the running flush reschedules when it ends
    if (this.timer !== undefined && delayMs > 0) return;
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => this.startFlush(), delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startFlush(): void {
    this.clearTimer();
    this.flushing = this.flushGeneration().finally(() => {
      this.flushing = undefined;
      if (this.current.points > 0) this.scheduleFlush(this.current.points >= this.opts.flushPoints ? 0 : this.opts.flushIntervalMs);
    });
  }

  private async flushGeneration(): Promise<void> {
    const generation = this.current;
    if (generation.points === 0) return;
    this.current = newGeneration();
    this.writingPoints = generation.points;
    this.counters.flushes++;
    try {
      generation.failures = await this.opts.flush([...generation.series.values()]);
      this.counters.seriesWritten += generation.series.size - generation.failures.size;
    } catch (error) {
      this.counters.flushFailures++;
      generation.failedAll = error as Error;
    } finally {
      this.writingPoints = 0;
      generation.resolve();
      this.wakeRoomWaiters();
    }
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function newGeneration(): Generation {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  return { series: new Map(), points: 0, done, resolve, failures: new Map() };
}
