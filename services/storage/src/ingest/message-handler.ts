import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumedMessage, Disposition } from '../../../../common/bus/index.js';
import {
  type DataMessage,
  decodeMessage,
  type Message,
  toLegacyHostInfo,
  toLegacyPluginInfo,
} from '../../../../common/schemas/index.js';
import { CorruptWhisperFileError, InvalidConfigurationError } from '../../../../common/whisper/index.js';
import type { PendingPoint, WriteCache } from '../cache/write-cache.js';
import { HostDirectoryCollisionError, type HostDirectories } from '../files/host-directories.js';
import { seriesFile, UnsafePathError } from '../files/layout.js';
import type { HostLocation, StorageIndex } from '../index/storage-index.js';
import type { RetentionRules } from '../persist/retention-rules.js';
import { decodeLegacyEnvelope, looksLikeOsloEnvelope } from './legacy-envelope.js';

/**
 * One delivery → one disposition. Ack only once the message's points are in their files
 * and the index is updated; dead-letter (with the reason) what can never be stored; requeue
 * what failed for a reason that may go away (Redis down, disk full). Nothing a poller sends
 * can throw out of here: every failure becomes a disposition.
 */
export type RefusalKind = 'invalid' | 'legacy-invalid' | 'unsafe-name' | 'host-mismatch' | 'future' | 'too-old' | 'corrupt-file';

export interface IngestEvents {
  accepted(kind: Message['kind'], points: number): void;
  refused(kind: RefusalKind, reason: string): void;
  /** Points dropped from a message that was otherwise stored (future beyond the skew, too old). */
  pointsSkipped(kind: 'future' | 'too-old' | 'unknown-value', count: number): void;
  retried(reason: string): void;
}

export interface MessageHandlerOptions {
  cache: WriteCache;
  hosts: HostDirectories;
  index: StorageIndex;
  /** Epoch seconds. */
  now: () => number;
  /** Points this far in the future are still taken (poller clock skew). */
  maxFutureSeconds: number;
  /** Gives each series' retention: older points cannot be stored. */
  rules: RetentionRules;
  events?: Partial<IngestEvents>;
  /** Pause before a requeue so a persistent failure does not spin. @defaultValue 1000 */
  retryDelayMs?: number;
}

class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** Series files already checked and resolved, so a known series costs one map lookup. */
const MAX_MEMOISED_FILES = 1_000_000;

export class MessageHandler {
  private readonly files = new Map<string, string>();

  constructor(private readonly opts: MessageHandlerOptions) {}

  /** The BusConsumer handler. */
  readonly handle = async (delivery: ConsumedMessage): Promise<Disposition> => {
    try {
      const message = this.decode(delivery);
      if (delivery.routingKey && delivery.routingKey !== message.hostId) {
        throw new Refusal('host-mismatch', `routing key ${JSON.stringify(delivery.routingKey.slice(0, 80))} is not the message's hostId ${JSON.stringify(message.hostId.slice(0, 80))}`);
      }
      await this.store(message);
      return { action: 'ack' };
    } catch (error) {
      return this.dispositionFor(error);
    }
  };

  private decode(delivery: ConsumedMessage): Message {
    if (looksLikeOsloEnvelope(delivery.body)) {
      const legacy = decodeLegacyEnvelope(delivery.body, this.opts.now());
      if (!legacy.ok) throw new Refusal('legacy-invalid', legacy.reason);
      return legacy.message;
    }
    const decoded = decodeMessage(delivery.body);
    if (!decoded.ok) throw new Refusal('invalid', decoded.reason);
    return decoded.message;
  }

  private async store(message: Message): Promise<void> {
    const now = this.opts.now();
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
    this.opts.events?.accepted?.('data', points.length);
  }

  private pendingPoints(message: DataMessage, host: HostLocation, now: number, latest: number): PendingPoint[] {
    const points: PendingPoint[] = [];
    let unknown = 0;
    let tooOld = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const point of message.points) {
      if (point.timestamp > latest) continue;
      for (const [ds, value] of Object.entries(point.values)) {
        if (value === null) {
          unknown++;
          continue;
        }
        const file = this.seriesFile(host, point.plugin, ds);
        if (now - point.timestamp >= this.opts.rules.schemaFor(point.plugin, ds).maxRetention) {
          tooOld++;
          oldest = Math.min(oldest, point.timestamp);
          continue;
        }
        points.push({ file, host, plugin: point.plugin, ds, timestamp: point.timestamp, value });
      }
    }
    if (unknown) this.opts.events?.pointsSkipped?.('unknown-value', unknown);
    if (tooOld && points.length === 0) {
      throw new Refusal('too-old', `timestamp ${oldest} is ${now - oldest} s old, beyond the retention of its files`);
    }
    if (tooOld) this.opts.events?.pointsSkipped?.('too-old', tooOld);
    return points;
  }

  private seriesFile(host: HostLocation, plugin: string, ds: string): string {
    const key = `${host.dir}\u0000${plugin}\u0000${ds}`;
    let file = this.files.get(key);
    if (file === undefined) {
      file = seriesFile(host.dir, plugin, ds);
      if (this.files.size >= MAX_MEMOISED_FILES) this.files.clear();
      this.files.set(key, file);
    }
    return file;
  }

  private async dispositionFor(error: unknown): Promise<Disposition> {
    const refusal = asRefusal(error);
    if (refusal) {
      this.opts.events?.refused?.(refusal.kind, refusal.message);
      return { action: 'dead-letter', reason: `${refusal.kind}: ${refusal.message}` };
    }
    const reason = (error as Error)?.message ?? String(error);
    this.opts.events?.retried?.(reason);
    await sleep(this.opts.retryDelayMs ?? 1000);
    return { action: 'requeue' };
  }
}

/** Failures that will fail again on every redelivery become dead letters. */
function asRefusal(error: unknown): Refusal | null {
  if (error instanceof Refusal) return error;
  if (error instanceof UnsafePathError || error instanceof HostDirectoryCollisionError) return new Refusal('unsafe-name', error.message);
  if (error instanceof CorruptWhisperFileError || error instanceof InvalidConfigurationError) return new Refusal('corrupt-file', error.message);
  return null;
}
