import { statfs } from 'node:fs/promises';
import { BusConsumer, type ConsumedMessage, type Disposition, storageQueueName } from '../../../common/bus/index.js';
import {
  type Clock,
  type Component,
  Deadline,
  type DeadlineInput,
  FORCE_CLOSE_MS,
  Lifecycle,
  prefixedStats,
  type Stats,
  settleWithin,
  systemClock,
  waitUntil,
} from '../../../common/lifecycle/index.js';
import type { Logger } from '../../../common/logging/index.js';
import { LIMITS } from '../../../common/schemas/index.js';
import { type ApiServer, apiConfigFrom, createApiServer } from './api/index.js';
import { WriteCache } from './cache/write-cache.js';
import { Cleaner } from './cleaning/cleaner.js';
import { amqpUrl, bindingsFor, legacyAmqpUrl, type StorageConfig } from './config.js';
import { HostDirectories } from './files/host-directories.js';
import { LostIndexWatch } from './index/lost-index-watch.js';
import type { RebuildResult } from './index/rebuild.js';
import { StorageIndex } from './index/storage-index.js';
import { MessageHandler } from './ingest/message-handler.js';
import { NewSeriesLimiter } from './ingest/series-limits.js';
import { createStorageMetrics, type StorageMetrics } from './metrics.js';
import { FlushWriter } from './persist/flush-writer.js';
import { RetentionRules } from './persist/retention-rules.js';
import { SeriesWriter } from './persist/series-writer.js';

export interface StorageServiceOptions {
  config: StorageConfig;
  /** The host list (empty = every host). */
  hostIds: string[];
  logger: Logger;
  /** The time (the parts read whole epoch seconds from it). @defaultValue systemClock */
  clock?: Clock;
  /** Called after each delivery is handled, before it is settled (benchmarks measure latency here). */
  observeDelivery?: (message: ConsumedMessage, disposition: Disposition) => void;
}

/** The whole stop's deadline when stop() is given none; it also bounds the undo of a failed start. */
export const STORAGE_STOP_MS = 15_000;

/** The API's share of the stop: requests in progress get this long before their connections close. */
const API_STOP_MS = 5000;

/**
 * The storage's components, built from the configuration and started in order: Redis →
 * writer → (index rebuild if it was lost) → consumers → lost-index watch → cleaner → API. stop() goes the other
 * way round from the inputs: consumers first (they wait for their in-flight messages,
 * which the cache flushes and acks), then the cache drains, then the rest closes.
 */
export class StorageService implements Component {
  readonly name = 'storage';
  readonly metrics: StorageMetrics;
  readonly index: StorageIndex;
  private readonly writer: SeriesWriter;
  private readonly cache: WriteCache;
  private readonly hosts: HostDirectories;
  private readonly flushWriter: FlushWriter;
  private readonly handler: MessageHandler;
  private readonly consumer: BusConsumer;
  private readonly legacy?: BusConsumer;
  private readonly cleaner?: Cleaner;
  private readonly indexWatch: LostIndexWatch;
  private api?: ApiServer;
  private apiPort = 0;
  private readonly clock: Clock;
  private readonly lifecycle: Lifecycle;

  constructor(private readonly opts: StorageServiceOptions) {
    const { config, logger } = opts;
    const g = config.global;
    this.clock = opts.clock ?? systemClock;
    this.lifecycle = new Lifecycle(
      { start: () => this.startInOrder(), stop: (deadline) => this.stopInOrder(deadline) },
      { clock: this.clock, defaultStopMs: STORAGE_STOP_MS },
    );
    this.metrics = createStorageMetrics();
    this.index = StorageIndex.open(config, logger);
    const rules = RetentionRules.fromFiles(config.whisper.schemas_file, config.whisper.aggregation_file);
    this.writer = new SeriesWriter({ rules, maxOpenFiles: config.cache.max_open_files, sparse: config.whisper.sparse, clock: this.clock });
    this.hosts = new HostDirectories({ wspRoot: g.wsp_path, hashChars: g.wsp_path_md5_char, index: this.index.writer });
    this.flushWriter = new FlushWriter({ writer: this.writer, index: this.index.writer, clock: this.clock, onFlush: this.metrics.onFlush });
    this.indexWatch = new LostIndexWatch({
      index: this.index.writer,
      wspRoot: g.wsp_path,
      checkEverySeconds: g.index_check_seconds,
      clock: this.clock,
      onRebuilt: () => {
        this.hosts.forget();
        this.flushWriter.forgetIndexed();
      },
      logger,
    });
    this.cache = new WriteCache({
      maxPoints: config.cache.max_points,
      flushPoints: config.cache.flush_points,
      flushIntervalMs: config.cache.flush_interval_ms,
      flush: this.flushWriter.flush,
      clock: this.clock,
    });
    this.handler = new MessageHandler({
      cache: this.cache,
      hosts: this.hosts,
      index: this.index.writer,
      rules,
      clock: this.clock,
      maxFutureSeconds: config.whisper.max_future_seconds,
      events: this.loggedEvents(),
      limiter: this.seriesLimiter(),
    });
    const observe = opts.observeDelivery;
    const observed = (handler: (message: ConsumedMessage) => Promise<Disposition>) =>
      observe
        ? async (message: ConsumedMessage) => {
            const disposition = await handler(message);
            observe(message, disposition);
            return disposition;
          }
        : handler;
    const queue = storageQueueName(g.storage_name);
    const bindings = bindingsFor(opts.hostIds);
    this.consumer = new BusConsumer({
      url: amqpUrl(config),
      heartbeatSeconds: config.amqp.heartbeat,
      connectionName: `numeter-storage ${g.storage_name}`,
      logger,
      queueType: config.amqp.queue_type,
      queue,
      bindings,
      prefetch: config.amqp.prefetch,
      maxMessageBytes: LIMITS.maxMessageBytes,
      maxRequeues: config.amqp.max_requeues,
      handler: observed(this.handler.handle),
    });
    if (config.legacy.enabled) {
      // The original Numeter's pollers, in their own vhost: same queue name, bound to their
      // (non-durable by default) exchange. Their routing key is the host ID too, but the
      // original trusted the envelope's hostid, so the routing key is not compared.
      this.legacy = new BusConsumer({
        url: legacyAmqpUrl(config),
        heartbeatSeconds: config.amqp.heartbeat,
        connectionName: `numeter-storage-legacy ${g.storage_name}`,
        logger,
        queueType: config.amqp.queue_type,
        exchange: { name: config.legacy.exchange, durable: config.legacy.exchange_durable },
        queue,
        bindings,
        prefetch: config.amqp.prefetch,
        maxMessageBytes: LIMITS.maxMessageBytes,
        maxRequeues: config.amqp.max_requeues,
        handler: observed(this.handler.handleLegacy),
      });
    }
    if (config.cleaning.enabled) {
      this.cleaner = new Cleaner({
        index: this.index.writer,
        wspRoot: g.wsp_path,
        markAfterDays: config.cleaning.mark_after_days,
        removeFiles: config.cleaning.remove_files,
        graceDays: config.cleaning.grace_days,
        intervalSeconds: config.cleaning.interval_seconds,
        clock: this.clock,
        onFileRemoved: (file) => this.writer.forget(file),
        onHostRemoved: (hostId) => {
          this.hosts.forget(hostId);
          this.flushWriter.forgetHost(hostId);
        },
        logger,
      });
    }
    this.metrics.observe({
      cacheSize: () => this.cache.size(),
      indexErrors: () => this.index.stats().errors,
      openFiles: () => this.writer.stats().openFiles,
      consumerInFlight: () => this.consumer.stats().inFlight ?? 0,
      consumerRefusals: () => {
        const [main, legacy] = [this.consumer.stats(), this.legacy?.stats()];
        const sum = (key: string) => (main[key] ?? 0) + (legacy?.[key] ?? 0);
        return { 'too-large': sum('tooLarge'), 'requeue-limit': sum('requeueLimited') };
      },
    });
  }

  /**
   * Starts every part in order and resolves to the API port (0 when the API is disabled);
   * if one fails, what had started is stopped again before the error is thrown.
   */
  async start(): Promise<{ apiPort: number }> {
    await this.lifecycle.start();
    return { apiPort: this.apiPort };
  }

  private async startInOrder(): Promise<void> {
    const { config, logger } = this.opts;
    await this.index.connect();
    await this.indexWatch.ensureComplete();
    await this.consumer.start();
    await this.legacy?.start();
    this.indexWatch.start();
    this.cleaner?.start();
    this.apiPort = 0;
    if (config.api.enabled) {
      this.api = createApiServer({
        config: apiConfigFrom(config),
        index: this.index.reader,
        clock: this.clock,
        logger,
        metrics: this.metrics.registry,
        health: { broker: async () => this.brokerHealth(), disk: () => this.diskHealth() },
      });
      this.apiPort = (await this.api.start()).port;
    }
    logger.info(
      { storage: config.global.storage_name, hosts: this.opts.hostIds.length || 'all', apiPort: this.apiPort },
      'storage started',
    );
  }

  /** Resolves once every consumer is connected and consuming (for tests and readiness), or rejects after `timeoutMs`. */
  async waitUntilConsuming(timeoutMs = 10_000): Promise<void> {
    const consuming = () => this.consumer.stats().connected === 1 && (this.legacy?.stats().connected ?? 1) === 1;
    if (!(await waitUntil(consuming, Deadline.after(timeoutMs, this.clock))))
      throw new Error(`not consuming after ${timeoutMs} ms (is RabbitMQ reachable?)`);
  }

  /** Inputs first, then drain, then close, all within one deadline (a number is ms from now). Idempotent. */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  /** Refills the index from the files now (it is also done at start and whenever the index was lost). */
  rebuildIndex(): Promise<RebuildResult> {
    return this.indexWatch.rebuild();
  }

  /** Runs one cleaning pass now (the cleaner must be enabled). */
  async clean() {
    return this.cleaner?.runOnce();
  }

  /**
   * Every part's counters and gauges, flat and prefixed by the part (`consumer_connected`,
   * `cache_points`, `writer_openFiles`): the one shape of Component.stats().
   */
  stats(): Stats {
    return {
      ...prefixedStats('consumer', this.consumer.stats()),
      ...(this.legacy && prefixedStats('legacy', this.legacy.stats())),
      ...prefixedStats('cache', this.cache.stats()),
      ...prefixedStats('writer', this.writer.stats()),
      ...prefixedStats('index', this.index.stats()),
      ...prefixedStats('indexWatch', this.indexWatch.stats()),
      ...prefixedStats('hosts', this.hosts.stats()),
      ...(this.cleaner && prefixedStats('cleaner', this.cleaner.stats())),
    };
  }

  /** The write cache's figures, for the start and stop log lines. */
  cacheStats(): Stats {
    return this.cache.stats();
  }

  private async stopInOrder(deadline: Deadline): Promise<void> {
    const log = this.opts.logger;
    // All steps share one deadline, so the whole stop ends by it (plus a moment for each
    // late step to force-close): a broker or Redis that stops answering must not keep the
    // service from exiting (unacked messages are redelivered, written points are on disk).
    const step = async (name: string, fn: () => Promise<unknown> | unknown) => {
      const work = Promise.resolve()
        .then(fn)
        .catch((error: Error) => log.warn({ step: name, reason: error.message }, 'stop step failed'));
      if (!(await settleWithin(work, deadline.extendedTo(FORCE_CLOSE_MS))))
        log.warn({ step: name, remainingMs: deadline.remainingMs() }, 'stop step did not finish in time; going on');
    };
    await step('consumers', () => Promise.all([this.consumer.stop(deadline), this.legacy?.stop(deadline)]));
    await step('cache', () => this.cache.stop());
    await step('cleaner', () => Promise.all([this.cleaner?.stop(), this.indexWatch.stop()]));
    await step('api', () => this.api?.stop(deadline.capped(API_STOP_MS)));
    await step('writer', () => this.writer.close());
    await step('redis', () => this.index.close());
    this.api = undefined;
    log.info(this.cacheStats(), 'storage stopped');
  }

  private brokerHealth() {
    const connected = this.consumer.stats().connected === 1;
    return connected ? { ok: true } : { ok: false, detail: 'not connected to RabbitMQ' };
  }

  private async diskHealth() {
    try {
      const s = await statfs(this.opts.config.global.wsp_path);
      const free = s.bavail / s.blocks;
      return free > 0.05
        ? { ok: true, detail: `${(free * 100).toFixed(1)}% free` }
        : { ok: false, detail: `only ${(free * 100).toFixed(1)}% free` };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  private seriesLimiter(): NewSeriesLimiter {
    const limits = this.opts.config.limits;
    return new NewSeriesLimiter({
      limits: {
        perHost: limits.max_new_series_per_host,
        perPlugin: limits.max_new_series_per_plugin,
        intervalSeconds: limits.new_series_interval_seconds,
      },
      clock: this.clock,
      onRefused: this.metrics.onSeriesRefused,
      onReport: (report) =>
        this.opts.logger.warn(
          { ...report, intervalSeconds: limits.new_series_interval_seconds },
          'new series refused: a host or plugin reached its limit of new series (see [limits])',
        ),
    });
  }

  private loggedEvents() {
    const events = this.metrics.events;
    const log = this.opts.logger;
    return {
      ...events,
      refused: (kind: Parameters<typeof events.refused>[0], reason: string) => {
        events.refused(kind, reason);
        log.info({ kind, reason }, 'message refused (dead-lettered)');
      },
      retried: (reason: string) => {
        events.retried(reason);
        log.warn({ reason }, 'message failed; requeued');
      },
    };
  }
}
