import { existsSync } from 'node:fs';
import type { ConsumedMessage, Disposition } from '../../../../common/bus/index.js';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import {
  type DataMessage,
  decodeMessage,
  type Message,
  type MessageKind,
  toLegacyHostInfo,
  toLegacyPluginInfo,
} from '../../../../common/schemas/index.js';
import type { PointBatch, SeriesRef, WriteCache } from '../cache/write-cache.js';
import type { HostDirectories } from '../files/host-directories.js';
import { seriesFile } from '../files/layout.js';
import type { HostLocation, IndexWriter } from '../index/index-writer.js';
import type { RetentionRules } from '../persist/retention-rules.js';
import { asRefusal, Refusal, type RefusalKind, requeueFor } from './failures.js';
import { decodeLegacyEnvelope, looksLikeOsloEnvelope } from './legacy-envelope.js';
import type { NewSeriesLimiter } from './series-limits.js';

export type { RefusalKind } from './failures.js';

export interface IngestEvents {
  accepted(kind: MessageKind, points: number): void;
  refused(kind: RefusalKind, reason: string): void;
  /** Points dropped from a message that was otherwise stored (future beyond the skew, too old). */
  pointsSkipped(kind: 'future' | 'too-old' | 'unknown-value' | 'series-limit', count: number): void;
  retried(reason: string): void;
}

export interface MessageHandlerOptions {
  cache: WriteCache;
  hosts: HostDirectories;
  index: IndexWriter;
  /** Each message's "now" (future and too-old points), in whole epoch seconds, is read from it; the retry pause is timed by it. */
  clock: Clock;
  /** Points this far in the future are still taken (poller clock skew). */
  maxFutureSeconds: number;
  /** Gives each series' retention: older points cannot be stored. */
  rules: RetentionRules;
  events?: Partial<IngestEvents>;
  /** Pause before a requeue so a persistent failure does not spin. @defaultValue 1000 */
  retryDelayMs?: number;
  /** Bounds the series (files) a host and a plugin may start; none = unlimited. */
  limiter?: NewSeriesLimiter;
  /** Whether a series' file exists (existing series are never limited). @defaultValue fs.existsSync */
  fileExists?: (file: string) => boolean;
}

/** A known series: its checked, resolved file and its retention, found with two map lookups. */
interface KnownSeries extends SeriesRef {
  maxRetention: number;
}

const MAX_MEMOISED_SERIES = 1_000_000;

/**
 * One delivery → one disposition. Ack only once the message's points are in their files
 * and the index is updated; dead-letter (with the reason) what can never be stored; requeue
 * what failed for a reason that may go away (Redis down, disk full). Nothing a poller sends
 * can throw out of here: every failure becomes a disposition.
 */
export class MessageHandler {
  /** host → plugin → ds → series. Host locations are memoised objects, so they key well. */
  private readonly known = new Map<HostLocation, Map<string, Map<string, KnownSeries>>>();
  private knownCount = 0;

  constructor(private readonly opts: MessageHandlerOptions) {}

  /** The BusConsumer handler: the routing key must be the message's host ID. */
  readonly handle = (delivery: ConsumedMessage): Promise<Disposition> => this.process(delivery, true);

  /** The legacy input's handler: the original took the host from the envelope, whatever the routing key. */
  readonly handleLegacy = (delivery: ConsumedMessage): Promise<Disposition> => this.process(delivery, false);

  private async process(delivery: ConsumedMessage, routedByHost: boolean): Promise<Disposition> {
    try {
      const message = this.decode(delivery);
      if (routedByHost) assertRoutedToItsHost(delivery.routingKey, message.hostId);
      await this.store(message);
      return { action: 'ack' };
    } catch (error) {
      return this.dispositionFor(error);
    }
  }

  private decode(delivery: ConsumedMessage): Message {
    if (looksLikeOsloEnvelope(delivery.body)) {
      const legacy = decodeLegacyEnvelope(delivery.body, wholeSecondsOf(this.opts.clock));
      if (!legacy.ok) throw new Refusal('legacy-invalid', legacy.reason);
      return legacy.message;
    }
    const decoded = decodeMessage(delivery.body);
    if (!decoded.ok) throw new Refusal('invalid', decoded.reason);
    return decoded.message;
  }

  private async store(message: Message): Promise<void> {
    const now = wholeSecondsOf(this.opts.clock);
    if (message.kind === 'data') {
      await this.storeData(message, now);
      return;
    }
    const host = await this.opts.hosts.locate(message.hostId);
    if (message.kind === 'host') {
      await this.opts.index.writeHostInfo(host, toLegacyHostInfo(message), now);
    } else {
      for (const ds of Object.keys(message.fields)) seriesFile(host.dir, message.plugin, ds); // refuses unsafe names
      await this.opts.index.writePluginInfo(host, toLegacyPluginInfo(message), now);
    }
    this.opts.events?.accepted?.(message.kind, 0);
  }

  private async storeData(message: DataMessage, now: number): Promise<void> {
    const latest = now + this.opts.maxFutureSeconds;
    const future = message.points.filter((p) => p.timestamp > latest);
    if (future.length === message.points.length) {
      const ts = future[0].timestamp;
      throw new Refusal('future', `timestamp ${ts} is ${ts - now} s in the future (more than the ${this.opts.maxFutureSeconds} s allowed)`);
    }
    if (future.length) this.opts.events?.pointsSkipped?.('future', future.length);
    const host = await this.opts.hosts.locate(message.hostId);
    const points = this.pendingPoints(message, host, now, latest);
    await this.opts.cache.add(points);
    this.opts.events?.accepted?.('data', points.series.length);
  }

  private pendingPoints(message: DataMessage, host: HostLocation, now: number, latest: number): PointBatch {
    const batch: PointBatch = { series: [], timestamps: [], values: [] };
    let unknown = 0;
    let tooOld = 0;
    let limited = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const point of message.points) {
      if (point.timestamp > latest) continue;
      const sources = this.pluginSeries(host, point.plugin);
      for (const ds of Object.keys(point.values)) {
        const value = point.values[ds];
        if (value === null) {
          unknown++;
          continue;
        }
        const series = sources.get(ds) ?? this.addSeries(sources, host, point.plugin, ds, now - point.timestamp);
        if (series === null) {
          limited++;
          continue;
        }
        if (now - point.timestamp >= series.maxRetention) {
          tooOld++;
          oldest = Math.min(oldest, point.timestamp);
          continue;
        }
        batch.series.push(series);
        batch.timestamps.push(point.timestamp);
        batch.values.push(value);
      }
    }
    if (unknown) this.opts.events?.pointsSkipped?.('unknown-value', unknown);
    if (tooOld && batch.series.length === 0) {
      throw new Refusal('too-old', `timestamp ${oldest} is ${now - oldest} s old, beyond the retention of its files`);
    }
    if (limited && batch.series.length === 0) {
      throw new Refusal('series-limit', `host ${JSON.stringify(host.hostId.slice(0, 80))} started too many new series: ${limited} refused`);
    }
    if (tooOld) this.opts.events?.pointsSkipped?.('too-old', tooOld);
    if (limited) this.opts.events?.pointsSkipped?.('series-limit', limited);
    return batch;
  }

  private pluginSeries(host: HostLocation, plugin: string): Map<string, KnownSeries> {
    let plugins = this.known.get(host);
    if (!plugins) {
      plugins = new Map();
      this.known.set(host, plugins);
    }
    let sources = plugins.get(plugin);
    if (!sources) {
      sources = new Map();
      plugins.set(plugin, sources);
    }
    return sources;
  }

  /**
   * Checks the names (seriesFile throws UnsafePathError) and remembers the series; null
   * when it has no file yet and its host or plugin may start no more series now. A point
   * too old for the series' archives (`age` seconds) writes nothing: its series is neither
   * counted against the limits nor remembered (a later recent point is counted then).
   */
  private addSeries(sources: Map<string, KnownSeries>, host: HostLocation, plugin: string, ds: string, age: number): KnownSeries | null {
    const file = seriesFile(host.dir, plugin, ds);
    const series: KnownSeries = { file, host, plugin, ds, maxRetention: this.opts.rules.schemaFor(plugin, ds).maxRetention };
    if (age >= series.maxRetention) return series;
    const { limiter, fileExists = existsSync } = this.opts;
    if (limiter && !fileExists(file) && !limiter.admit(host.hostId, plugin, ds)) return null;
    if (this.knownCount >= MAX_MEMOISED_SERIES) {
      this.known.clear();
      this.knownCount = 0;
    }
    sources.set(ds, series);
    this.knownCount++;
    return series;
  }

  private async dispositionFor(error: unknown): Promise<Disposition> {
    const refusal = asRefusal(error);
    if (refusal) {
      this.opts.events?.refused?.(refusal.kind, refusal.message);
      return { action: 'dead-letter', reason: `${refusal.kind}: ${refusal.message}` };
    }
    const requeue = requeueFor(error);
    this.opts.events?.retried?.(requeue.action === 'requeue' ? (requeue.reason ?? '') : '');
    await new Promise<void>((resolve) => this.opts.clock.setTimeout(resolve, this.opts.retryDelayMs ?? 1000));
    return requeue;
  }
}

/**
 * A poller publishes with its host ID as routing key, and only what it routes there reaches
 * a storage bound to that host: a message naming another host, or published with an empty
 * routing key (which no host binding matches but `#` does), would write into another
 * host's series.
 */
function assertRoutedToItsHost(routingKey: string, hostId: string): void {
  if (routingKey === hostId) return;
  const host = JSON.stringify(hostId.slice(0, 80));
  if (routingKey === '') throw new Refusal('host-mismatch', `empty routing key: it must be the message's hostId ${host}`);
  throw new Refusal('host-mismatch', `routing key ${JSON.stringify(routingKey.slice(0, 80))} is not the message's hostId ${host}`);
}
