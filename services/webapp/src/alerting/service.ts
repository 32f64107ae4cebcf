import type { Pool } from 'mysql2/promise';
import {
  ALERTING_QUEUE,
  ALL_HOSTS_BINDING,
  alertingQueueLimitArguments,
  BusConsumer,
  type ConsumedMessage,
  type Disposition,
} from '../../../../common/bus/index.js';
import {
  type Clock,
  type Component,
  type Deadline,
  type DeadlineInput,
  Lifecycle,
  prefixedStats,
  settleWithin,
  systemClock,
} from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { type HangupSource, processHangup } from '../../../../common/munin/index.js';
import { decodeMessage, LIMITS, type PluginInfoMessage } from '../../../../common/schemas/index.js';
import { alertingAmqpUrl, type WebappConfig } from '../config.js';
import { migrate } from '../db/migrations.js';
import { createNotificationDispatcher } from './delivery/index.js';
import { AlertEngine } from './engine/evaluator.js';
import { MuninThresholds, type ThresholdChange } from './engine/munin-thresholds.js';
import { RuleIndex } from './engine/rule-index.js';
import { MuninConfSource, type Overrides } from './munin-conf-source.js';
import { Periodic } from './periodic.js';
import { LatestValueWriter } from './store/latest-values.js';
import { deleteSourceRulesOf, hostIdsSignature, loadHostIds, loadRules, rulesSignature } from './store/rule-loader.js';
import { StateStore, StateStoreStoppedError } from './store/state-store.js';
import { loadThresholds, saveThresholds } from './store/thresholds-store.js';

export interface AlertServiceDeps {
  config: WebappConfig;
  pool: Pool;
  logger: Logger;
  clock?: Clock;
  /**
   * Started after the engine and stopped after it (an output): the notification dispatcher. Default:
   * delivery's NotificationDispatcher on the same pool; null = none (the outbox only fills).
   */
  dispatcher?: Component | null;
  /** Where SIGHUPs come from (what is configured is re-read after one); default: the process's. */
  hangups?: HangupSource;
}

/**
 * The alerting engine as one Component: on start it loads the munin thresholds, the rules
 * and the states the previous run left, then consumes ALERTING_QUEUE (a copy of every
 * poller message; single active consumer, so several webapp processes take turns) and
 * evaluates each point as it arrives. A sweep checks no-data limits and repeats; the rule
 * tables are re-read when they change. Refused or unknown messages are counted and acked:
 * the storage already dead-letters them, and none can stop the engine.
 */
export class AlertService implements Component {
  readonly name = 'alerting';
  private readonly lifecycle = new Lifecycle({ start: () => this.open(), stop: (d) => this.close(d) }, { defaultStopMs: 10_000 });
  private readonly clock: Clock;
  private readonly logger: Logger;
  readonly index = new RuleIndex();
  readonly store: StateStore;
  readonly engine: AlertEngine;
  private readonly thresholds: MuninThresholds;
  private consumer?: BusConsumer;
  private readonly dispatcher: Component | null;
  private readonly sweeper: Periodic;
  private readonly reloader: Periodic;
  private readonly valueFlusher: Periodic;
  private readonly latestValues: LatestValueWriter;
  private readonly muninConf: MuninConfSource | null;
  /** The webapp's host IDs at the last check: one gone from it was deleted (its states end). */
  private knownHosts: { signature: string; hostIds: Set<string> } | null = null;
  private signature = '';
  private readonly hangups: HangupSource;
  private readonly counters = { messages: 0, refused: 0, failed: 0, infos: 0, ruleReloads: 0, ruleProblems: 0, hangups: 0 };

  constructor(private readonly deps: AlertServiceDeps) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger.child({ component: 'alerting' });
    this.hangups = deps.hangups ?? processHangup;
    const a = deps.config.alerting;
    this.store = new StateStore({ pool: deps.pool, clock: this.clock, logger: this.logger, publicUrl: deps.config.web.public_url.trim() });
    this.engine = new AlertEngine({
      clock: this.clock,
      index: this.index,
      sink: this.store,
      flap: { window: a.flap_window, startPercent: a.flap_start_percent, stopPercent: a.flap_stop_percent },
    });
    this.thresholds = new MuninThresholds(this.index, {
      nodataMinutes: a.nodata_minutes,
      report: (problem) => this.logger.warn({ problem }, 'munin threshold not understood'),
    });
    this.dispatcher =
      deps.dispatcher === undefined
        ? createNotificationDispatcher({ pool: deps.pool, config: deps.config, logger: this.logger, clock: this.clock })
        : deps.dispatcher;
    const timers = { clock: this.clock, logger: this.logger };
    this.sweeper = new Periodic('alert sweep', () => this.engine.sweep(), a.sweep_seconds * 1000, timers);
    this.muninConf = a.munin_conf
      ? new MuninConfSource(a.munin_conf, a.munin_host_id_format, (problem) => this.logger.warn({ problem }, 'munin.conf'), this.hangups)
      : null;
    const reload = async () => {
      await this.reloadMuninConfIfChanged();
      await this.reloadRulesIfChanged();
    };
    this.reloader = new Periodic('alert rule reload', reload, a.rules_reload_seconds * 1000, timers);
    this.latestValues = new LatestValueWriter({ pool: deps.pool, maxRows: a.value_flush_max_rows });
    this.valueFlusher = new Periodic('alert value flush', () => this.flushLatestValues(), a.value_flush_seconds * 1000, timers);
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      ...prefixedStats('engine', this.engine.stats()),
      ...prefixedStats('store', this.store.stats()),
      ...prefixedStats('index', this.index.stats()),
      ...(this.consumer ? prefixedStats('consumer', this.consumer.stats()) : {}),
      ...(this.dispatcher ? prefixedStats('dispatcher', this.dispatcher.stats()) : {}),
      ...prefixedStats('latest', this.latestValues.counters),
      ...(this.muninConf ? prefixedStats('muninConf', this.muninConf.counters) : {}),
      sweepFailures: this.sweeper.failures,
      reloadFailures: this.reloader.failures,
      flushFailures: this.valueFlusher.failures,
    };
  }

  /** Writes the problems' latest values now (the flush timer calls it; the stop and tests too). */
  flushLatestValues(): Promise<number> {
    return this.store.after(() => this.latestValues.write(this.latestValues.collect(this.engine.states())));
  }

  /**
   * Re-reads the rules now if their tables changed, and ends the states of hosts deleted from
   * the webapp since the last check (the reload timer calls it; tests too).
   */
  async reloadRulesIfChanged(): Promise<boolean> {
    await this.closeDeletedHosts();
    const signature = await rulesSignature(this.deps.pool);
    if (signature === this.signature) return false;
    const loaded = await loadRules(this.deps.pool, { nodataMinutes: this.deps.config.alerting.nodata_minutes });
    this.index.replaceRules(loaded.rules);
    this.signature = signature;
    this.counters.ruleReloads++;
    this.counters.ruleProblems += loaded.problems.length;
    for (const problem of loaded.problems) this.logger.warn({ problem }, 'alert rule left out');
    this.logger.info({ rules: loaded.count }, 'alert rules loaded');
    return true;
  }

  /** Runs the no-data and repeat checks now (the sweep timer calls it; tests too). */
  sweepNow(): Promise<void> {
    return this.sweeper.runNow();
  }

  private async open(): Promise<void> {
    const { config, pool } = this.deps;
    await migrate(pool);
    this.thresholds.load(await loadThresholds(pool));
    await this.applyMuninConf();
    this.signature = '';
    await this.reloadRulesIfChanged();
    this.engine.restore(await this.store.load());
    this.store.start();
    const a = config.alerting;
    this.consumer = new BusConsumer({
      name: 'alerting-consumer',
      url: alertingAmqpUrl(config),
      heartbeatSeconds: a.heartbeat,
      connectionName: 'numeter-webapp alerting',
      logger: this.logger,
      queueType: a.queue_type,
      queue: ALERTING_QUEUE,
      bindings: [ALL_HOSTS_BINDING],
      queueArguments: alertingQueueLimitArguments(),
      prefetch: a.prefetch,
      maxMessageBytes: LIMITS.maxMessageBytes,
      handler: (message) => this.handle(message),
    });
    await this.consumer.start();
    this.sweeper.start();
    this.reloader.start();
    this.valueFlusher.start();
    this.hangups.on(this.onHangup);
    await this.dispatcher?.start();
  }

  /**
   * A SIGHUP re-reads what is configured at once, as a reload period would: munin.conf (its
   * watch saw the signal: read even if unchanged) and the rule tables. Without munin_conf
   * there is nothing but the rules; the log says so.
   */
  private readonly onHangup = (): void => {
    this.counters.hangups++;
    if (!this.muninConf) this.logger.info({}, 'SIGHUP: no [alerting] munin_conf to re-read; the rules are checked');
    void this.reloader.runNow();
  };

  /**
   * Inputs first: the consumer takes no more messages and waits for those in flight (their
   * records are still written, then they are acked), the timers make no more records. Half
   * of the time left goes to that drain; what the database has not taken by then is dropped
   * (the store's stop: those messages are requeued, not acked), so a database that is down
   * does not hold the stop. Then the latest values, after every record; the dispatcher last.
   */
  private async close(deadline: Deadline): Promise<void> {
    this.hangups.off(this.onHangup);
    const consumerStopped = this.consumer?.stop(deadline) ?? Promise.resolve();
    await Promise.all([this.sweeper.stop(), this.reloader.stop(), this.valueFlusher.stop()]);
    this.muninConf?.stop();
    const half = () => deadline.capped(deadline.remainingMs() / 2);
    await settleWithin(consumerStopped, half());
    // The latest values go with the stop, so a restart shows them (a failure only loses a value).
    const flushed = this.flushLatestValues().catch((error) =>
      this.logger.warn({ reason: (error as Error).message }, 'latest alert values not written at stop'),
    );
    if (!(await settleWithin(flushed, half()))) this.logger.warn({}, 'latest alert values not written at stop: the database is too slow');
    // Records still waiting for the database reject, so their messages are requeued, not acked.
    this.store.stop();
    await consumerStopped;
    this.consumer = undefined;
    await this.dispatcher?.stop(deadline);
  }

  private async handle(message: ConsumedMessage): Promise<Disposition> {
    this.counters.messages++;
    const decoded = decodeMessage(message.body);
    if (!decoded.ok) {
      this.counters.refused++;
      this.logger.debug({ reason: decoded.reason, routingKey: message.routingKey.slice(0, 300) }, 'message not understood; skipped');
      return { action: 'ack' };
    }
    const m = decoded.message;
    let recorded: Promise<void> | undefined;
    try {
      if (m.kind === 'data') recorded = this.engine.ingestData(m);
      else if (m.kind === 'info') recorded = this.ingestInfo(m);
    } catch (error) {
      // A fault of ours on this one message: counted and logged, never a loop of redeliveries.
      this.counters.failed++;
      this.logger.error({ reason: (error as Error).message, routingKey: message.routingKey.slice(0, 300) }, 'alert evaluation failed');
      return { action: 'ack' };
    }
    try {
      await recorded;
      return { action: 'ack' };
    } catch (error) {
      // The database (or a stop): the message waits in the queue until it can be recorded.
      if (!(error instanceof StateStoreStoppedError))
        this.logger.warn({ reason: (error as Error).message }, 'alerting could not record a message');
      return { action: 'requeue', unbounded: true };
    }
  }

  private async closeDeletedHosts(): Promise<void> {
    const hosts = await hostIdsSignature(this.deps.pool);
    if (this.knownHosts?.signature === hosts.signature) return;
    const current = await loadHostIds(this.deps.pool);
    const before = this.knownHosts?.hostIds;
    this.knownHosts = { signature: hosts.signature, hostIds: current };
    if (!before) return;
    for (const hostId of before) {
      if (current.has(hostId)) continue;
      await this.save(this.thresholds.forgetHost(hostId));
      await this.engine.closeHost(hostId);
      const rules = await deleteSourceRulesOf(this.deps.pool, hostId);
      this.logger.info({ hostId, rules }, 'host deleted from the webapp: its alert states end, the rules on its sources go');
    }
  }

  private async ingestInfo(message: PluginInfoMessage): Promise<void> {
    this.counters.infos++;
    await this.save(this.thresholds.fromInfo(message));
  }

  private async applyMuninConf(): Promise<void> {
    if (!this.muninConf) return;
    await this.applyOverrides(this.muninConf.readFirst(), false);
  }

  /** munin.conf re-read if it changed or a SIGHUP came (the reload timer calls it; tests too). */
  async reloadMuninConfIfChanged(): Promise<boolean> {
    const read = this.muninConf?.readIfChanged();
    if (!read) return false;
    await this.applyOverrides(read.overrides, read.hangup);
    return true;
  }

  private async applyOverrides(overrides: Overrides, hangup: boolean): Promise<void> {
    const changes = this.thresholds.replaceOverrides(overrides);
    await this.save(changes);
    const file = this.deps.config.alerting.munin_conf;
    this.logger.info({ file, overrides: overrides.length, changed: changes.length, hangup }, 'munin.conf threshold overrides applied');
  }

  private async save(changes: ThresholdChange[]): Promise<void> {
    if (changes.length === 0) return;
    await saveThresholds(this.deps.pool, changes, this.clock.nowMs());
    for (const change of changes) this.thresholds.stored(change);
  }
}
