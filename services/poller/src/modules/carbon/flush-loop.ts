import { type DeadlineInput, settleWithin } from '../../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../../common/logging/index.js';
import type { Message } from '../../../../../common/schemas/index.js';
import { messageProblem } from '../../polling/messages.js';
import type { SeriesCatalog } from './batch.js';
import type { PointBatch } from './point-batch.js';

/**
 * Moves what a listener module accepted into the spool every flush interval: infos of
 * new hosts and plugins first, then the data messages, in one append. A full batch
 * flushes at once (and the listener stops reading until it is taken). Every
 * `refreshSeconds` all infos are published again, so a storage whose index was lost
 * learns them back. A spool failure loses that flush's values, counted and logged.
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
}

export class FlushLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private active = false;
  /** Values of the flush waiting for the spool. */
  private publishing = 0;
  readonly counters = { flushes: 0, messages: 0, valuesSpooled: 0, valuesLost: 0, valuesLostAtStop: 0 };

  constructor(private readonly options: FlushLoopOptions) {}

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
    const { messages: data, values } = o.batch.take(o.maxPointsPerMessage);
    const spooledValues = values;
    const messages = infos.length === 0 ? data : [...infos, ...data];
    if (messages.length === 0) return;
    this.publishing = spooledValues;
    try {
      await o.publish(messages);
      this.counters.flushes++;
      this.counters.messages += messages.length;
      this.counters.valuesSpooled += spooledValues;
      if (refresh) this.lastRefresh = now;
      o.logger.debug({ messages: messages.length, values: spooledValues }, 'flushed into the spool');
    } catch (error) {
      this.counters.valuesLost += spooledValues;
      o.catalog.forgetPublished();
      o.logger.error({ reason: (error as Error).message, values: spooledValues }, 'cannot spool this flush; its values are lost');
    } finally {
      this.publishing = 0;
    }
  }
}
