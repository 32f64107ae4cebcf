import type { Stats } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { type DataPoint, DataPoint as DataPointSchema, describeIssues, type Message } from '../../../../common/schemas/index.js';
import type { SpoolFigures } from '../delivery/delivery.js';
import type { MessageSink } from '../delivery/sinks.js';
import type { Collection, HostDescription, PluginDescription, PollerModule, Sample } from '../modules/types.js';
import { applyRates, type TimedValues } from '../rates/apply.js';
import type { RateStateFile } from '../rates/state-file.js';
import { dataMessages, descriptionHash, hostInfoMessage, keptDescription, messageProblem, pluginInfoMessage } from './messages.js';
import { SELF_DESCRIPTION, SELF_PLUGIN, selfValues } from './self-metrics.js';

export class ModuleTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleTimeoutError';
  }
}

export interface PollCycleOptions {
  self: HostDescription;
  modules: PollerModule[];
  sink: MessageSink;
  rates: RateStateFile;
  /** Seconds between plugin info refreshes. */
  refreshSeconds: number;
  /** Longest gap across which a counter's rate is computed. */
  heartbeatSeconds: number;
  maxPointsPerMessage: number;
  /** Longest a module may take to answer one poll (default 300). */
  moduleTimeoutSeconds?: number;
  logger: Logger;
  /** Seconds since the epoch (may be fractional). */
  nowSeconds: () => number;
  spoolFigures?: () => SpoolFigures;
}

export interface PollResult {
  messages: number;
  collected: number;
  spooled: number;
  dropped: number;
  moduleErrors: number;
  refreshed: boolean;
  durationSeconds: number;
}

interface Known {
  description: PluginDescription;
  hash: string;
  /** Hash last handed to the sink; a different one means the config changed. */
  published?: string;
}

/**
 * One poll: ask every module (concurrently; one failing module never stops the
 * others), publish host and plugin info when the refresh is due or a plugin's
 * description changed, turn counters into rates, validate every point and message,
 * and hand the messages to the sink. Samples of a plugin nobody described are dropped:
 * without its field types a counter would be published raw.
 */
export class PollCycle {
  private readonly known = new Map<string, Known>();
  private readonly hosts = new Map<string, { host: HostDescription; published: boolean }>();
  private lastRefresh: number | null = null;
  private readonly warnedUndescribed = new Set<string>();
  private readonly busy = new Set<PollerModule>();
  private readonly totals = { polls: 0, collected: 0, spooled: 0, dropped: 0, moduleErrors: 0, sinkFailures: 0 };

  constructor(private readonly options: PollCycleOptions) {}

  /** Totals since the process started (monotonic counters, the shape of Component.stats()). */
  stats(): Stats {
    return { ...this.totals };
  }

  async run(): Promise<PollResult> {
    const started = this.options.nowSeconds();
    const nowSeconds = Math.floor(started);
    const refresh = this.lastRefresh === null || nowSeconds - this.lastRefresh >= this.options.refreshSeconds;
    let moduleErrors = 0;
    const collections = await Promise.all(
      this.options.modules.map(async (module) => {
        try {
          const collection = await this.collectWithDeadline(module, nowSeconds, refresh);
          for (const error of collection.errors ?? []) this.options.logger.warn({ module: module.name, reason: error }, 'plugin problem');
          moduleErrors += collection.errors?.length ?? 0;
          return collection;
        } catch (error) {
          moduleErrors++;
          this.options.logger.warn({ module: module.name, reason: (error as Error).message }, 'module failed; the other modules go on');
          return null;
        }
      }),
    );
    const figures = { collected: 0, dropped: 0 };
    for (const collection of collections) if (collection) this.remember(collection);
    const points = new Map<string, DataPoint[]>();
    for (const collection of collections) if (collection) this.convert(collection.samples, nowSeconds, points, figures);
    this.addSelfPoint(points, nowSeconds, started, { ...figures, spooled: countValues(points), moduleErrors });
    const messages = [...this.infoMessages(nowSeconds, refresh), ...this.dataMessagesOf(points)];
    const valid = messages.filter((message) => {
      const problem = messageProblem(message);
      if (problem) this.options.logger.warn({ kind: message.kind, hostId: message.hostId, reason: problem }, 'invalid message dropped');
      return problem === null;
    });
    let spooled = valid.reduce((sum, m) => sum + (m.kind === 'data' ? countMessageValues(m) : 0), 0);
    figures.dropped += countValues(points) - spooled;
    try {
      await this.options.sink.publish(valid);
      this.markPublished(valid, refresh, nowSeconds);
    } catch (error) {
      this.totals.sinkFailures++;
      figures.dropped += spooled;
      spooled = 0;
      this.options.logger.error(
        { reason: (error as Error).message, messages: valid.length },
        'cannot spool the messages of this poll; they are lost',
      );
    }
    await this.saveRates(nowSeconds);
    const result: PollResult = {
      messages: valid.length,
      collected: figures.collected,
      spooled,
      dropped: figures.dropped,
      moduleErrors,
      refreshed: refresh,
      durationSeconds: this.options.nowSeconds() - started,
    };
    this.account(result);
    return result;
  }

  /**
   * A module that does not answer within the deadline fails this poll, so one hung
   * module never holds the others; it is not asked again until its call has returned.
   */
  private async collectWithDeadline(module: PollerModule, nowSeconds: number, wantInfo: boolean): Promise<Collection> {
    if (this.busy.has(module)) throw new ModuleTimeoutError(`still busy with an earlier poll; skipped`);
    const call = module.collect({ nowSeconds, wantInfo });
    this.busy.add(module);
    const settled = call.finally(() => this.busy.delete(module));
    settled.catch(() => {}); // its failure is reported below or was already timed out
    const seconds = this.options.moduleTimeoutSeconds ?? 300;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ModuleTimeoutError(`no answer within ${seconds} s`)), seconds * 1000);
    });
    try {
      return await Promise.race([settled, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private remember(collection: Collection): void {
    for (const host of collection.hosts ?? []) {
      const existing = this.hosts.get(host.hostId);
      if (!existing || JSON.stringify(existing.host) !== JSON.stringify(host)) this.hosts.set(host.hostId, { host, published: false });
    }
    for (const description of collection.plugins ?? []) {
      const hostId = description.hostId ?? this.options.self.hostId;
      const { hostId: _ignored, ...rest } = description;
      const key = `${hostId}\t${description.plugin}`;
      const { description: kept, hash } = keptDescription(rest);
      const previous = this.known.get(key);
      this.known.set(key, { description: kept, hash, published: previous?.published });
    }
  }

  private convert(
    samples: Sample[],
    nowSeconds: number,
    points: Map<string, DataPoint[]>,
    figures: { collected: number; dropped: number },
  ): void {
    const byPlugin = new Map<string, TimedValues[]>();
    for (const sample of samples) {
      const hostId = sample.hostId ?? this.options.self.hostId;
      const key = `${hostId}\t${sample.plugin}`;
      const timestamp = Math.floor(sample.timestamp ?? nowSeconds);
      figures.collected += Object.keys(sample.values).length;
      const list = byPlugin.get(key);
      if (list) list.push({ timestamp, values: sample.values });
      else byPlugin.set(key, [{ timestamp, values: sample.values }]);
    }
    for (const [key, readings] of byPlugin) {
      const [hostId, plugin] = key.split('\t');
      const known = this.known.get(key);
      if (!known) {
        figures.dropped += readings.reduce((sum, r) => sum + Object.keys(r.values).length, 0);
        if (!this.warnedUndescribed.has(key))
          this.options.logger.warn({ hostId, plugin }, 'samples of a plugin without description dropped (its module must describe it)');
        this.warnedUndescribed.add(key);
        continue;
      }
      for (const converted of applyRates(
        this.options.rates,
        hostId,
        plugin,
        known.description.fields,
        readings,
        this.options.heartbeatSeconds,
      )) {
        this.addPoint(points, hostId, { plugin, ...converted }, figures);
      }
    }
  }

  private addPoint(points: Map<string, DataPoint[]>, hostId: string, point: DataPoint, figures: { dropped: number }): void {
    const parsed = DataPointSchema.safeParse(point);
    if (!parsed.success) {
      figures.dropped += Object.keys(point.values).length;
      this.options.logger.warn(
        { hostId, plugin: point.plugin.slice(0, 200), reason: describeIssues(parsed.error.issues) },
        'invalid point dropped',
      );
      return;
    }
    const list = points.get(hostId);
    if (list) list.push(parsed.data);
    else points.set(hostId, [parsed.data]);
  }

  private infoMessages(nowSeconds: number, refresh: boolean): Message[] {
    const out: Message[] = [];
    const selfHost = this.hosts.get(this.options.self.hostId);
    if (refresh || !selfHost) this.hosts.set(this.options.self.hostId, { host: this.options.self, published: false });
    for (const entry of this.hosts.values()) if (refresh || !entry.published) out.push(hostInfoMessage(entry.host, nowSeconds));
    const selfKey = `${this.options.self.hostId}\t${SELF_PLUGIN}`;
    if (!this.known.has(selfKey)) this.known.set(selfKey, { description: SELF_DESCRIPTION, hash: descriptionHash(SELF_DESCRIPTION) });
    for (const [key, known] of this.known) {
      if (refresh || known.published !== known.hash) out.push(pluginInfoMessage(key.split('\t')[0], known.description, nowSeconds));
    }
    return out;
  }

  private dataMessagesOf(points: Map<string, DataPoint[]>): Message[] {
    return [...points].flatMap(([hostId, list]) => dataMessages(hostId, list, this.options.maxPointsPerMessage));
  }

  private markPublished(messages: Message[], refresh: boolean, nowSeconds: number): void {
    for (const message of messages) {
      if (message.kind === 'host') {
        const entry = this.hosts.get(message.hostId);
        if (entry) entry.published = true;
      } else if (message.kind === 'info') {
        const known = this.known.get(`${message.hostId}\t${message.plugin}`);
        if (known) known.published = known.hash;
      }
    }
    if (refresh) this.lastRefresh = nowSeconds;
  }

  /**
   * The self plugin's reading: this process's totals (those of the earlier polls plus
   * this one's so far) and the spool's own totals, converted to rates like any counter.
   */
  private addSelfPoint(
    points: Map<string, DataPoint[]>,
    nowSeconds: number,
    started: number,
    poll: { collected: number; dropped: number; spooled: number; moduleErrors: number },
  ): void {
    const spool = this.options.spoolFigures?.();
    const reading = selfValues({
      collected: this.totals.collected + poll.collected,
      spooled: this.totals.spooled + poll.spooled,
      dropped: this.totals.dropped + poll.dropped + (spool?.dropped ?? 0),
      published: spool ? spool.confirmed : null,
      moduleErrors: this.totals.moduleErrors + poll.moduleErrors,
      spoolRecords: spool ? spool.records : null,
      spoolBytes: spool ? spool.bytes : null,
      spoolAge: spool ? Math.round(spool.oldestAgeSeconds) : null,
      duration: this.options.nowSeconds() - started,
    });
    const { hostId, plugin } = { hostId: this.options.self.hostId, plugin: SELF_PLUGIN };
    const [converted] = applyRates(
      this.options.rates,
      hostId,
      plugin,
      SELF_DESCRIPTION.fields,
      [{ timestamp: nowSeconds, values: reading }],
      this.options.heartbeatSeconds,
    );
    this.addPoint(points, hostId, { plugin, ...converted }, { dropped: 0 });
  }

  private async saveRates(nowSeconds: number): Promise<void> {
    try {
      await this.options.rates.save(nowSeconds);
    } catch (error) {
      this.options.logger.error({ reason: (error as Error).message }, 'cannot save the rate state; counters restart after a restart');
    }
  }

  private account(result: PollResult): void {
    this.totals.polls++;
    this.totals.collected += result.collected;
    this.totals.spooled += result.spooled;
    this.totals.dropped += result.dropped;
    this.totals.moduleErrors += result.moduleErrors;
    this.options.logger.info({ ...result, durationSeconds: Math.round(result.durationSeconds * 1000) / 1000 }, 'poll done');
  }
}

function countValues(points: Map<string, DataPoint[]>): number {
  let n = 0;
  for (const list of points.values()) for (const point of list) n += Object.keys(point.values).length;
  return n;
}

function countMessageValues(message: Extract<Message, { kind: 'data' }>): number {
  return message.points.reduce((sum, point) => sum + Object.keys(point.values).length, 0);
}
