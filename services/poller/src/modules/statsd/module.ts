import { type Deadline, type DeadlineInput, Lifecycle } from '../../../../../common/lifecycle/index.js';
import type { FieldInfo } from '../../../../../common/schemas/index.js';
import { SeriesCatalog } from '../carbon/batch.js';
import { FlushLoop } from '../carbon/flush-loop.js';
import type { ListenerDeps } from '../carbon/module.js';
import { NameMapper, type SeriesName } from '../carbon/names.js';
import { PointBatch } from '../carbon/point-batch.js';
import { ProblemCounter } from '../carbon/problems.js';
import { selfMetrics } from '../carbon/self-metrics.js';
import { UdpLineSocket } from '../carbon/udp-lines.js';
import type { Collection, CollectRequest, ModuleContext, PollerModule } from '../types.js';
import { type Aggregate, StatsdAggregator } from './aggregate.js';
import { parseStatsdLine, type StatsdType } from './parse.js';
import type { StatsdSettings } from './settings.js';

/**
 * An etsy-compatible StatsD server (UDP) as a poller module: samples are aggregated over
 * `flush_interval` (aggregate.ts), their names mapped to host / plugin / data source as
 * carbon paths are (carbon/names.ts), and each flush goes into the spool with the infos
 * of new plugins. A metric sent as `h.p.d` is published as the data source `d` (counter:
 * per second; gauge: the value; set: distinct members) and `d_<stat>` (`d_count`,
 * `d_mean`, `d_upper_90`...), so its Graphite path is `h.p.d` or `h.p.d_<stat>`.
 */
export const STATSD_PROBLEMS = [
  'malformed',
  'bad_type',
  'bad_value',
  'value_out_of_range',
  'bad_sample_rate',
  'unsafe_name',
  'unmapped',
  'line_too_long',
  'buffer_full',
  'too_many_series',
  'too_many_fields',
  'set_too_large',
  'invalid_message',
  'same_second',
] as const;
export type StatsdProblemReason = (typeof STATSD_PROBLEMS)[number];

const INFO: Record<StatsdType, string> = {
  counter: 'StatsD counter',
  timer: 'StatsD timer',
  gauge: 'StatsD gauge',
  set: 'StatsD set',
};

function describeField(type: StatsdType, ds: string, suffix: string, interval: number): FieldInfo {
  if (type === 'counter' && suffix === '') return { label: `${ds} per second`, type: 'GAUGE', info: `${INFO.counter}: events per second` };
  if (type === 'counter') return { label: `${ds} per ${interval} s`, type: 'GAUGE', info: `${INFO.counter}: events per flush interval` };
  if (type === 'set') return { label: ds, type: 'GAUGE', min: 0, info: `${INFO.set}: distinct values per flush interval` };
  if (type === 'gauge') return { label: ds, type: 'GAUGE', info: INFO.gauge };
  return { label: `${ds} ${suffix}`, type: 'GAUGE', info: `${INFO.timer}: ${suffix} over each flush interval` };
}

export class StatsdModule implements PollerModule {
  readonly name = 'statsd';
  private readonly mapper: NameMapper;
  private readonly aggregator: StatsdAggregator;
  private readonly batch = new PointBatch();
  private readonly catalog: SeriesCatalog;
  private readonly problems: ProblemCounter<StatsdProblemReason>;
  private readonly loop: FlushLoop;
  private readonly udp: UdpLineSocket;
  private readonly lifecycle = new Lifecycle({ start: () => this.open(), stop: (deadline) => this.close(deadline) });
  private readonly counters = { lines: 0, samples: 0 };

  constructor(
    private readonly settings: StatsdSettings,
    private readonly deps: ListenerDeps,
  ) {
    this.mapper = new NameMapper({ prefix: settings.prefix, templates: settings.templates });
    this.aggregator = new StatsdAggregator({ maxTimerValues: settings.max_timer_values, maxSetSize: settings.max_set_size });
    this.catalog = new SeriesCatalog({ maxSeries: settings.max_series, category: 'statsd', source: 'StatsD' });
    this.problems = new ProblemCounter({
      reasons: STATSD_PROBLEMS,
      logger: deps.logger,
      intervalSeconds: settings.log_interval,
      nowSeconds: deps.nowSeconds,
      message: 'statsd input refused',
    });
    this.loop = new FlushLoop({
      batch: this.batch,
      catalog: this.catalog,
      publish: deps.publish,
      selfHost: deps.selfHost,
      flushIntervalMs: settings.flush_interval * 1000,
      refreshSeconds: deps.refreshSeconds,
      maxPointsPerMessage: deps.maxPointsPerMessage,
      logger: deps.logger,
      nowSeconds: deps.nowSeconds,
      fill: (timestamp) => this.fill(timestamp),
      invalid: (problem, values) => this.problems.record('invalid_message', () => problem, Math.max(1, values)),
    });
    this.udp = new UdpLineSocket({
      host: settings.listen.host,
      port: settings.listen.port,
      maxLineLength: settings.max_line_length,
      onLine: (line) => this.receive(line),
      onProblem: (reason, example, amount) => this.problems.record(reason, example, amount),
      accepting: () => true,
    });
  }

  get port(): number {
    return this.udp.port;
  }

  /** Listens; a port in use leaves nothing open. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Stops listening, then flushes the interval so far into the spool within the deadline. A second call awaits the first. */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  private async open(): Promise<void> {
    await this.udp.start();
    this.loop.start();
    this.deps.logger.info({ udp: this.udp.port, host: this.settings.listen.host }, 'statsd listener started');
  }

  private async close(deadline: Deadline): Promise<void> {
    await this.udp.stop();
    await this.loop.stop(deadline);
  }

  async collect(request: CollectRequest): Promise<Collection> {
    const { description, sample } = selfMetrics({
      plugin: 'numeter_statsd',
      title: 'Numeter poller: StatsD listener',
      counters: {
        lines: this.counters.lines,
        samples: this.counters.samples,
        values_spooled: this.loop.counters.valuesSpooled,
        values_lost: this.loop.counters.valuesLost,
      },
      gauges: { names: this.aggregator.size },
      problems: this.problems.counts,
      labels: { lines: 'lines received', values_spooled: 'values written to the spool', values_lost: 'values lost (spool failure)' },
      nowSeconds: request.nowSeconds,
    });
    return { plugins: [description], samples: [sample] };
  }

  stats(): Record<string, number> {
    return {
      lines: this.counters.lines,
      samples: this.counters.samples,
      valuesSpooled: this.loop.counters.valuesSpooled,
      valuesLostAtStop: this.loop.counters.valuesLostAtStop,
      flushes: this.loop.counters.flushes,
      refused: this.problems.total(),
    };
  }

  refusals(): Record<string, number> {
    return { ...this.problems.counts };
  }

  flush(): Promise<void> {
    return this.loop.flush();
  }

  private receive(line: string): boolean {
    const parsed = parseStatsdLine(line);
    if (parsed === null) return true;
    this.counters.lines++;
    if (typeof parsed === 'string') {
      this.problems.record(parsed, () => line);
      return false;
    }
    for (const sample of parsed) {
      const name = this.mapper.map(sample.name);
      if (typeof name === 'string') {
        this.problems.record(name, () => line);
        continue;
      }
      if (!this.aggregator.holds(sample.name, sample.type) && this.aggregator.size >= this.settings.max_series) {
        this.problems.record('too_many_series', () => line);
        continue;
      }
      if (this.aggregator.add(sample)) this.counters.samples++;
      else this.problems.record('set_too_large', () => line);
    }
    return true;
  }

  /** The interval's aggregates into the batch, at the flush's timestamp. */
  private fill(timestamp: number): void {
    for (const aggregate of this.aggregator.take(this.settings.flush_interval, this.settings.percentiles)) {
      const name = this.mapper.map(aggregate.name);
      if (typeof name !== 'string') this.addAggregate(name, aggregate, timestamp);
    }
  }

  private addAggregate(name: SeriesName, aggregate: Aggregate, timestamp: number): void {
    const host = name.host ?? this.deps.selfHost;
    for (const [suffix, value] of Object.entries(aggregate.stats)) {
      if (!Number.isFinite(value)) continue;
      const ds = suffix ? `${name.ds}_${suffix}` : name.ds;
      const admitted =
        ds.length > 200
          ? 'unsafe_name'
          : this.catalog.admit(host, name.plugin, ds, () => describeField(aggregate.type, name.ds, suffix, this.settings.flush_interval));
      if (admitted !== 'ok') this.problems.record(admitted, () => `${aggregate.name} (${ds})`);
      else if (!this.batch.add(host, name.plugin, ds, timestamp, value))
        this.problems.record('same_second', () => `${aggregate.name} (${ds})`);
    }
  }
}

export function createStatsdModule(
  context: ModuleContext,
  settings: StatsdSettings,
  refreshSeconds: number,
  maxPointsPerMessage: number,
): StatsdModule {
  if (!context.publish) throw new Error('the statsd module needs the pipeline (ModuleContext.publish)');
  return new StatsdModule(settings, {
    publish: context.publish,
    selfHost: context.hostId,
    logger: context.logger,
    nowSeconds: context.nowSeconds,
    refreshSeconds,
    maxPointsPerMessage,
  });
}
