import type { Stats } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { type DataPoint, DataPoint as DataPointSchema, describeIssues, type Message } from '../../../../common/schemas/index.js';
import type { SpoolFigures } from '../delivery/delivery.js';
import type { MessageSink } from '../delivery/sinks.js';
import type { Collection, HostDescription, PollerModule, Sample } from '../modules/types.js';
import { applyRates, type TimedValues } from '../rates/apply.js';
import type { RateStateFile } from '../rates/state-file.js';
import { InfoRegistry } from './info-registry.js';
import { dataMessages, messageProblem } from './messages.js';
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

/** One poll while it runs: its parts (streamed by modules) are published in order. */
interface PollState {
  started: number;
  nowSeconds: number;
  refresh: boolean;
  figures: { collected: number; dropped: number; spooled: number; messages: number; moduleErrors: number };
  /** Parts queued for publishing, one after the other. */
  chain: Promise<void>;
  /** False once the poll's result is made: a part handed over later is dropped. */
  open: boolean;
}

/**
 * One poll: ask every module (concurrently; one failing module never stops the
 * others), publish host and plugin info when the refresh is due or a plugin's
 * description changed, turn counters into rates, validate every point and message,
 * and hand the messages to the sink. Samples of a plugin nobody described are dropped:
 * without its field types a counter would be published raw. A module may hand over
 * parts of its collection while it polls (`CollectRequest.deliver`: a central munin
 * poller, one node as it finishes); each is published at once, so a poll never holds
 * every node's samples and infos together.
 */
export class PollCycle {
  private readonly infos: InfoRegistry;
  private readonly warnedUndescribed = new Set<string>();
  private readonly busy = new Set<PollerModule>();
  private lastRefresh: number | null = null;
  private readonly totals = { polls: 0, collected: 0, spooled: 0, dropped: 0, moduleErrors: 0, sinkFailures: 0 };

  constructor(private readonly options: PollCycleOptions) {
    this.infos = new InfoRegistry(options.self, options.refreshSeconds);
  }

  /** Totals since the process started (monotonic counters, the shape of Component.stats()). */
  stats(): Stats {
    return { ...this.totals };
  }

  async run(): Promise<PollResult> {
    const started = this.options.nowSeconds();
    const nowSeconds = Math.floor(started);
    const refresh = this.lastRefresh === null || nowSeconds - this.lastRefresh >= this.options.refreshSeconds;
    const poll: PollState = {
      started,
      nowSeconds,
      refresh,
      figures: { collected: 0, dropped: 0, spooled: 0, messages: 0, moduleErrors: 0 },
      chain: Promise.resolve(),
      open: true,
    };
    const collections = await Promise.all(this.options.modules.map((module) => this.collectFrom(module, poll)));
    for (let queued = poll.chain; ; queued = poll.chain) {
      await queued;
      if (queued === poll.chain) break;
    }
    poll.open = false;
    const { figures } = poll;
    for (const collection of collections) if (collection) this.infos.remember(collection);
    const points = new Map<string, DataPoint[]>();
    for (const collection of collections) if (collection) this.convert(collection.samples, nowSeconds, points, figures);
    this.addSelfPoint(points, poll, { ...figures, spooled: figures.spooled + countValues(points) });
    const sent = await this.send(poll, [...this.infos.pollMessages(nowSeconds, refresh), ...this.dataMessagesOf(points)], points);
    if (sent && refresh) this.lastRefresh = nowSeconds;
    await this.saveRates(nowSeconds);
    const result: PollResult = {
      messages: figures.messages,
      collected: figures.collected,
      spooled: figures.spooled,
      dropped: figures.dropped,
      moduleErrors: figures.moduleErrors,
      refreshed: refresh,
      durationSeconds: this.options.nowSeconds() - started,
    };
    this.account(result);
    return result;
  }

  private async collectFrom(module: PollerModule, poll: PollState): Promise<Collection | null> {
    try {
      const collection = await this.collectWithDeadline(module, poll);
      this.countErrors(module, collection, poll);
      return collection;
    } catch (error) {
      poll.figures.moduleErrors++;
      this.options.logger.warn({ module: module.name, reason: (error as Error).message }, 'module failed; the other modules go on');
      return null;
    }
  }

  private countErrors(module: PollerModule, collection: Collection, poll: PollState): void {
    for (const error of collection.errors ?? []) this.options.logger.warn({ module: module.name, reason: error }, 'plugin problem');
    poll.figures.moduleErrors += collection.errors?.length ?? 0;
  }

  /** A part a module handed over during the poll, queued behind the earlier ones; never rejects. */
  private deliver(module: PollerModule, poll: PollState, part: Collection): Promise<void> {
    if (!poll.open) {
      const values = part.samples.reduce((sum, sample) => sum + Object.keys(sample.values).length, 0);
      this.totals.dropped += values;
      this.options.logger.warn({ module: module.name, values }, 'part handed over after its poll ended (module deadline); dropped');
      return Promise.resolve();
    }
    poll.chain = poll.chain.then(() => this.publishPart(module, poll, part));
    return poll.chain;
  }

  private async publishPart(module: PollerModule, poll: PollState, part: Collection): Promise<void> {
    try {
      this.countErrors(module, part, poll);
      this.infos.remember(part);
      const points = new Map<string, DataPoint[]>();
      this.convert(part.samples, poll.nowSeconds, points, poll.figures);
      const { messages, refreshed } = this.infos.partMessages(hostIdsOf(part, this.options.self.hostId), poll.nowSeconds);
      if (await this.send(poll, [...messages, ...this.dataMessagesOf(points)], points))
        this.infos.markRefreshed(refreshed, poll.nowSeconds);
    } catch (error) {
      poll.figures.moduleErrors++;
      this.options.logger.error({ module: module.name, reason: (error as Error).message }, 'cannot publish a part of a poll; dropped');
    }
  }

  /** Validates and hands messages to the sink, counting what was spooled or dropped; true when spooled. */
  private async send(poll: PollState, messages: Message[], points: Map<string, DataPoint[]>): Promise<boolean> {
    const valid = messages.filter((message) => {
      const problem = messageProblem(message);
      if (problem) this.options.logger.warn({ kind: message.kind, hostId: message.hostId, reason: problem }, 'invalid message dropped');
      return problem === null;
    });
    const spooled = valid.reduce((sum, m) => sum + (m.kind === 'data' ? countMessageValues(m) : 0), 0);
    poll.figures.dropped += countValues(points) - spooled;
    try {
      await this.options.sink.publish(valid);
      this.infos.markPublished(valid);
      poll.figures.spooled += spooled;
      poll.figures.messages += valid.length;
      return true;
    } catch (error) {
      this.totals.sinkFailures++;
      poll.figures.dropped += spooled;
      this.options.logger.error(
        { reason: (error as Error).message, messages: valid.length },
        'cannot spool the messages of this poll; they are lost',
      );
      return false;
    }
  }

  /**
   * A module that does not answer within the deadline fails this poll, so one hung
   * module never holds the others; it is not asked again until its call has returned.
   */
  private async collectWithDeadline(module: PollerModule, poll: PollState): Promise<Collection> {
    if (this.busy.has(module)) throw new ModuleTimeoutError(`still busy with an earlier poll; skipped`);
    const deliver = (part: Collection) => this.deliver(module, poll, part);
    const call = module.collect({ nowSeconds: poll.nowSeconds, wantInfo: poll.refresh, deliver });
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
      const fields = this.infos.fields(hostId, plugin);
      if (!fields) {
        figures.dropped += readings.reduce((sum, r) => sum + Object.keys(r.values).length, 0);
        if (!this.warnedUndescribed.has(key))
          this.options.logger.warn({ hostId, plugin }, 'samples of a plugin without description dropped (its module must describe it)');
        this.warnedUndescribed.add(key);
        continue;
      }
      for (const converted of applyRates(this.options.rates, hostId, plugin, fields, readings, this.options.heartbeatSeconds)) {
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

  private dataMessagesOf(points: Map<string, DataPoint[]>): Message[] {
    return [...points].flatMap(([hostId, list]) => dataMessages(hostId, list, this.options.maxPointsPerMessage));
  }

  /**
   * The self plugin's reading: this process's totals (those of the earlier polls plus
   * this one's so far) and the spool's own totals, converted to rates like any counter.
   */
  private addSelfPoint(
    points: Map<string, DataPoint[]>,
    { nowSeconds, started }: PollState,
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

/**
 * The other hosts a part speaks for: their infos go with it. The poller's own host keeps
 * the end-of-poll schedule (its new infos are published at the end of the poll).
 */
function hostIdsOf(part: Collection, selfHostId: string): Set<string> {
  const hostIds = new Set<string>();
  for (const host of part.hosts ?? []) hostIds.add(host.hostId);
  for (const plugin of part.plugins ?? []) if (plugin.hostId) hostIds.add(plugin.hostId);
  for (const sample of part.samples) if (sample.hostId) hostIds.add(sample.hostId);
  hostIds.delete(selfHostId);
  return hostIds;
}
