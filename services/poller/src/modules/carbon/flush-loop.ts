import { type DeadlineInput, settleWithin } from '../../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../../common/logging/index.js';
import type { Message } from '../../../../../common/schemas/index.js';
import { messageProblem } from '../../polling/messages.js';
import type { SeriesCatalog } from './batch.js';
import type { PointBatch } from './point-batch.js';

/**
 * Moves what a listener module accepted into the spool every flush interval: infos of
 * new hosts and plugins first, then the data messages, in appends of about PART_VALUES
 * values. A full batch flushes at once (and the listener stops reading until it is
 * taken). Every `refreshSeconds` all infos are published again, so a storage whose index
 * was lost learns them back. A spool failure loses that append's values, counted and logged.
 */
export interface FlushLoopOptions {
  batch: PointBatch;
  catalog: SeriesCatalog;
  publish(messages: Message[]): Promise<void>;
  /** The poller's own host ID: no host info from here for it (the poll cycle sends it). */
  selfHost: string;
  flushIntervalMs: number;
  refreshSeconds: number;
  maxPointsPerMessage: number;
  logger: Logger;
  /** Seconds since the epoch. */
  nowSeconds: () => number;
  /** Called at the start of each flush with its timestamp (StatsD aggregates here). */
  fill?: (timestamp: number) => void;
  /** After each flush: the batch has room again. */
  drained?: () => void;
  invalid(problem: string, values: number): void;
  /** Values per spool append within a flush. @defaultValue PART_VALUES */
  partValues?: number;
}

/**
 * A flush appends its data in parts of about this many values (≈ 20 messages of a busy
 * listener): one part at a time lives as objects and JSON, small enough to die young
 * (the poller runs with a 2 MB young generation), and the sockets are read between parts.
 */
export const PART_VALUES = 50_000;

export class FlushLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private active = false;
  /** Values of the flush waiting for the spool. */
  private publishing = 0;
  readonly counters = { flushes: 0, messages: 0, valuesSpooled: 0, valuesLost: 0, valuesLostAtStop: 0 };
  private readonly partValues: number;

  constructor(private readonly options: FlushLoopOptions) {
    this.partValues = options.partValues ?? PART_VALUES;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.schedule();
  }

  /**
   * Stops the timer and flushes what is left (after the listener stopped), waiting for the
   * spool until `deadline` only: a spool that hangs (a stuck disk) cannot hold the poller's
   * stop. The values of a flush still under way then are counted as lost (they may yet
   * land) and logged.
   */
  async stop(deadline: DeadlineInput): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    if (await settleWithin(this.flush(), deadline)) return;
    const values = this.publishing + this.options.batch.size;
    this.counters.valuesLostAtStop += values;
    this.options.logger.error({ values }, 'the stop deadline passed before the last flush reached the spool; its values may be lost');
  }

  /** Resolves once everything accepted before the call is in the spool (or counted lost). */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    await this.kick();
  }

  /** Starts a flush, or joins the one under way (a full batch). */
  kick(): Promise<void> {
    this.running ??= this.flushOnce().finally(() => {
      this.running = null;
      this.options.drained?.();
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.active) return;
    this.timer = setTimeout(() => void this.kick(), this.options.flushIntervalMs);
  }

  private async flushOnce(): Promise<void> {
    const o = this.options;
    const now = o.nowSeconds();
    const timestamp = Math.floor(now);
    o.fill?.(timestamp);
    const refresh = now - this.lastRefresh >= o.refreshSeconds;
    // Infos (few: new plugins) are checked here, so one that is wrong is counted by the
    // listener; data messages (nearly all) are checked once, by the spool, which refuses
    // and counts an invalid one (its `invalid` counter, logged with the reason). They are
    // built from names, seconds and values this listener checked line by line.
    const infos = o.catalog.infoMessages(o.selfHost, timestamp, refresh).filter((message) => {
      const problem = messageProblem(message);
      if (problem !== null) o.invalid(problem, 0);
      return problem === null;
    });
    // The plugins in the batch now, taken part by part (a part's objects and JSON are garbage
    // before the next is built; the sockets are read between parts); later ones wait for the next flush.
    let slotsLeft = o.batch.pendingSlots;
    let first = true;
    let spooled = false;
    do {
      const part = o.batch.take(o.maxPointsPerMessage, slotsLeft, this.partValues);
      slotsLeft -= part.slots;
      const withInfos = first && infos.length > 0;
      const messages = withInfos ? [...infos, ...part.messages] : part.messages;
      const ok = messages.length > 0 && (await this.publishPart(messages, part.values, withInfos));
      if (ok && first && refresh) this.lastRefresh = now;
      spooled ||= ok;
      first = false;
    } while (slotsLeft > 0);
    if (spooled) this.counters.flushes++;
  }

  /** One append; true when it reached the spool. A failure loses its values (counted, logged) and its infos are sent again. */
  private async publishPart(messages: Message[], values: number, withInfos: boolean): Promise<boolean> {
    const o = this.options;
    this.publishing = values;
    try {
      await o.publish(messages);
      this.counters.messages += messages.length;
      this.counters.valuesSpooled += values;
      o.logger.debug({ messages: messages.length, values }, 'flushed into the spool');
      return true;
    } catch (error) {
      this.counters.valuesLost += values;
      if (withInfos) o.catalog.forgetPublished();
      o.logger.error({ reason: (error as Error).message, values }, 'cannot spool this flush; its values are lost');
      return false;
    } finally {
      this.publishing = 0;
    }
  }
}
