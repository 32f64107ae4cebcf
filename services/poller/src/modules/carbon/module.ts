import { type Deadline, type DeadlineInput, Lifecycle } from '../../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../../common/logging/index.js';
import type { Message } from '../../../../../common/schemas/index.js';
import type { Collection, CollectRequest, ModuleContext, PollerModule } from '../types.js';
import { SeriesCatalog } from './batch.js';
import { FlushLoop } from './flush-loop.js';
import { lineScratch, parseCarbonLineIn } from './line.js';
import { NameMapper } from './names.js';
import { PathTable } from './path-table.js';
import { PointBatch, type SeriesColumn } from './point-batch.js';
import { ProblemCounter } from './problems.js';
import { selfMetrics } from './self-metrics.js';
import type { CarbonSettings } from './settings.js';
import { TcpLineServer } from './tcp-lines.js';
import { UdpLineSocket } from './udp-lines.js';

/**
 * Carbon's plaintext protocol (`path value [timestamp]` lines) on TCP and UDP, as a
 * poller module: lines are mapped to host / plugin / data source (names.ts), grouped
 * per host and flushed into the spool every `flush_interval` with the infos of new
 * plugins, so they reach the storages with the same guarantees as polled data. Bad
 * input is refused line by line, counted by reason and logged at most once per
 * `log_interval`; the rest of the connection or datagram goes on.
 */
export const CARBON_PROBLEMS = [
  'malformed',
  'bad_value',
  'nan_value',
  'value_out_of_range',
  'bad_timestamp',
  'tagged',
  'unsafe_name',
  'unmapped',
  'line_too_long',
  'too_many_connections',
  'incomplete_line_timeout',
  'bad_line_flood',
  'buffer_full',
  'too_many_series',
  'too_many_fields',
  'invalid_message',
  'same_second',
] as const;
export type CarbonProblem = (typeof CARBON_PROBLEMS)[number];

export interface ListenerDeps {
  publish(messages: Message[]): Promise<void>;
  selfHost: string;
  logger: Logger;
  /** Seconds since the epoch. */
  nowSeconds: () => number;
  refreshSeconds: number;
  maxPointsPerMessage: number;
}

export class CarbonModule implements PollerModule {
  readonly name = 'carbon';
  private readonly mapper: NameMapper;
  private readonly batch = new PointBatch();
  private readonly catalog: SeriesCatalog;
  private readonly problems: ProblemCounter<CarbonProblem>;
  private readonly loop: FlushLoop;
  private readonly tcp: TcpLineServer;
  private readonly udp: UdpLineSocket | null;
  private readonly lifecycle = new Lifecycle({ start: () => this.open(), stop: (deadline) => this.close(deadline) });
  private readonly counters = { lines: 0, values: 0 };
  /** Admitted series by path (PathTable), and the few a full hash bucket left out. */
  private readonly paths = new PathTable<SeriesColumn>();
  private readonly admitted = new Map<string, SeriesColumn>();
  /** The parse of the line being received (one object for every line). */
  private readonly scratch = lineScratch();

  constructor(
    private readonly settings: CarbonSettings,
    private readonly deps: ListenerDeps,
  ) {
    this.mapper = new NameMapper({ prefix: settings.prefix, templates: settings.templates });
    this.catalog = new SeriesCatalog({
      maxSeries: settings.max_series,
      category: 'carbon',
      source: 'carbon',
    });
    this.problems = new ProblemCounter({
      reasons: CARBON_PROBLEMS,
      logger: deps.logger,
      intervalSeconds: settings.log_interval,
      nowSeconds: deps.nowSeconds,
      message: 'carbon input refused',
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
      drained: () => this.tcp.resume(),
      invalid: (problem, values) => this.problems.record('invalid_message', () => problem, Math.max(1, values)),
    });
    const onLine = (text: string, start: number, end: number) => this.receive(text, start, end);
    const onProblem = (reason: CarbonProblem, example: () => string, amount?: number) => this.problems.record(reason, example, amount);
    const { host, port } = settings.listen;
    this.tcp = new TcpLineServer({
      host,
      port,
      maxLineLength: settings.max_line_length,
      maxConnections: settings.max_connections,
      lineTimeoutMs: settings.line_timeout * 1000,
      maxBadLines: settings.max_bad_lines,
      onLine,
      onProblem,
    });
    this.udp = settings.udp
      ? new UdpLineSocket({
          host,
          port,
          maxLineLength: settings.max_line_length,
          onLine: (line) => this.receive(line, 0, line.length),
          onProblem,
          accepting: () => this.hasRoom(),
        })
      : null;
  }

  /** The ports listened on (the configured ones, or those the system chose for port 0). */
  get ports(): { tcp: number; udp: number | null } {
    return { tcp: this.tcp.port, udp: this.udp?.port ?? null };
  }

  /** Listens on TCP then UDP; if either cannot (a port in use), nothing stays open. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /**
   * Stops listening (connected clients get up to a second, and at most half, of the
   * deadline to finish), then flushes what was accepted into the spool within what is left
   * of the deadline. A second call awaits the first.
   */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  private async open(): Promise<void> {
    await this.tcp.start();
    if (this.udp) await this.udp.start();
    this.loop.start();
    this.deps.logger.info({ tcp: this.ports.tcp, udp: this.ports.udp, host: this.settings.listen.host }, 'carbon listener started');
  }

  /** Also undoes a start that stopped half way (TCP listening, UDP port in use). */
  private async close(deadline: Deadline): Promise<void> {
    // Half the deadline at most for the clients: the other half is the flush's.
    await this.tcp.stop(Math.min(1000, deadline.remainingMs() / 2));
    await this.udp?.stop();
    await this.loop.stop(deadline);
  }

  async collect(request: CollectRequest): Promise<Collection> {
    const { description, sample } = selfMetrics({
      plugin: 'numeter_carbon',
      title: 'Numeter poller: carbon listener',
      counters: {
        lines: this.counters.lines,
        values_spooled: this.loop.counters.valuesSpooled,
        values_lost: this.loop.counters.valuesLost,
        tcp_connections: this.tcp.counters.connections,
      },
      gauges: { open_connections: this.tcp.open, buffered_values: this.batch.size },
      problems: this.problems.counts,
      labels: { lines: 'lines received', values_spooled: 'values written to the spool', values_lost: 'values lost (spool failure)' },
      nowSeconds: request.nowSeconds,
    });
    return { plugins: [description], samples: [sample] };
  }

  stats(): Record<string, number> {
    return {
      lines: this.counters.lines,
      values: this.counters.values,
      valuesSpooled: this.loop.counters.valuesSpooled,
      valuesLost: this.loop.counters.valuesLost,
      valuesLostAtStop: this.loop.counters.valuesLostAtStop,
      flushes: this.loop.counters.flushes,
      refused: this.problems.total(),
      openConnections: this.tcp.open,
    };
  }

  /** Refusals by reason (monotonic). */
  refusals(): Record<string, number> {
    return { ...this.problems.counts };
  }

  /** Flushes now (tests, benchmark). */
  flush(): Promise<void> {
    return this.loop.flush();
  }

  private hasRoom(): boolean {
    return this.batch.size < this.settings.max_buffered_values;
  }

  /**
   * The series a path is stored in, admitted once (names mapped, limits checked) and then
   * remembered (the caller looks it up first: the per-line cost is one lookup). Null when
   * refused (counted and logged).
   */
  private series(path: string, hash: number, line: () => string): SeriesColumn | null {
    const name = this.mapper.map(path);
    if (typeof name === 'string') {
      this.problems.record(name, line);
      return null;
    }
    const host = name.host ?? this.deps.selfHost;
    const admitted = this.catalog.admit(host, name.plugin, name.ds, () => ({ label: name.ds, type: 'GAUGE' }));
    if (admitted !== 'ok') {
      this.problems.record(admitted, line);
      return null;
    }
    // Paths with and without the prefix name one series: bounded by twice the series limit.
    if (this.admitted.size + this.paths.size >= 2 * this.settings.max_series) {
      this.admitted.clear();
      this.paths.clear();
    }
    const series = this.batch.series(host, name.plugin, name.ds);
    if (!this.paths.set(path, hash, series)) this.admitted.set(path, series);
    return series;
  }

  /** False for a bad line (the TCP server counts them towards its flood limit). The line is `text[start:end]`. */
  private receive(text: string, start: number, end: number): boolean {
    const parsed = this.scratch;
    const result = parseCarbonLineIn(text, start, end, parsed);
    if (result === 'blank') return true;
    this.counters.lines++;
    if (result !== 'ok') {
      this.problems.record(result, () => text.slice(start, end));
      return false;
    }
    let series = this.paths.get(text, parsed.pathStart, parsed.pathEnd, parsed.pathHash);
    if (series === undefined) {
      const path = text.slice(parsed.pathStart, parsed.pathEnd);
      const found = this.admitted.get(path) ?? this.series(path, parsed.pathHash, () => text.slice(start, end));
      if (found === null) return false;
      series = found;
    }
    const timestamp = parsed.timestamp ?? Math.floor(this.deps.nowSeconds());
    if (!this.batch.addTo(series, timestamp, parsed.value)) {
      // Not bad input: a second value for one second (see SeriesColumn.flushedLast). Counted, not towards a flood.
      this.problems.record('same_second', () => text.slice(start, end));
      return true;
    }
    this.counters.values++;
    if (!this.hasRoom()) {
      this.tcp.pause();
      void this.loop.kick();
    }
    return true;
  }
}

/** The factory the registry calls, with the validated `[CarbonModule]` section. */
export function createCarbonModule(
  context: ModuleContext,
  settings: CarbonSettings,
  refreshSeconds: number,
  maxPointsPerMessage: number,
): CarbonModule {
  if (!context.publish) throw new Error('the carbon module needs the pipeline (ModuleContext.publish)');
  return new CarbonModule(settings, {
    publish: context.publish,
    selfHost: context.hostId,
    logger: context.logger,
    nowSeconds: context.nowSeconds,
    refreshSeconds,
    maxPointsPerMessage,
  });
}
