import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestEvents, RefusalKind } from './ingest/message-handler.js';
import type { SeriesLimitKind } from './ingest/series-limits.js';

/**
 * The storage's Prometheus metrics, in one Registry that the API serves on `/metrics`
 * (the API registers its own request metrics in the same registry). Labels are small
 * fixed sets: the dead-letter reason is its kind, never the free text.
 */
export interface StorageMetrics {
  registry: Registry;
  /** Hooks for the message handler. */
  events: IngestEvents;
  /** Hook for the flush writer. */
  onFlush(seconds: number, points: number, series: number): void;
  /** Hook for the new-series limiter. */
  onSeriesRefused(limit: SeriesLimitKind): void;
  /** Gauges read at scrape time from the components' stats(). */
  observe(sources: MetricSources): void;
}

export interface MetricSources {
  cacheSize(): number;
  indexErrors(): number;
  openFiles(): number;
  consumerInFlight(): number;
  /** Dead letters the consumers decide without the handler (monotonic counts). */
  consumerRefusals(): { 'too-large': number; 'requeue-limit': number };
}

export function createStorageMetrics(registry = new Registry()): StorageMetrics {
  const messages = new Counter({
    name: 'numeter_storage_messages_total',
    help: 'Messages handled, by kind (host, info, data) and outcome (stored, dead_lettered, requeued)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const points = new Counter({
    name: 'numeter_storage_points_ingested_total',
    help: 'Points accepted into the write cache (written to Whisper before their message is acked)',
    registers: [registry],
  });
  const skipped = new Counter({
    name: 'numeter_storage_points_skipped_total',
    help: 'Points not stored from messages that were otherwise stored: future, too-old, unknown-value, series-limit',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const fromConsumers = { 'too-large': 0, 'requeue-limit': 0 };
  const deadLetters = new Counter({
    name: 'numeter_storage_dead_letters_total',
    help: 'Messages dead-lettered, by reason kind',
    labelNames: ['reason'] as const,
    registers: [registry],
    // The consumers refuse too large and too often requeued messages themselves: add what they counted since the last scrape.
    collect() {
      const counts = sources?.consumerRefusals();
      if (!counts) return;
      for (const reason of ['too-large', 'requeue-limit'] as const) {
        const added = counts[reason] - fromConsumers[reason];
        if (added > 0) this.inc({ reason }, added);
        fromConsumers[reason] = counts[reason];
      }
    },
  });
  const flushSeconds = new Histogram({
    name: 'numeter_storage_write_seconds',
    help: 'Duration of one write-cache flush (Whisper writes plus the index update)',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const flushPoints = new Counter({
    name: 'numeter_storage_points_written_total',
    help: 'Points handed to Whisper by flushes',
    registers: [registry],
  });
  const seriesRefused = new Counter({
    name: 'numeter_storage_new_series_refused_total',
    help: 'Points that would have started a new series (file) beyond a [limits] limit, by limit (host, plugin)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  let sources: MetricSources | undefined;
  new Gauge({
    name: 'numeter_storage_cache_points',
    help: 'Points held in the write cache (pending and being written)',
    registers: [registry],
    collect() {
      this.set(sources?.cacheSize() ?? 0);
    },
  });
  new Gauge({
    name: 'numeter_storage_index_errors',
    help: 'Redis index operations that failed since start',
    registers: [registry],
    collect() {
      this.set(sources?.indexErrors() ?? 0);
    },
  });
  new Gauge({
    name: 'numeter_storage_open_files',
    help: 'Whisper files kept open by the writer',
    registers: [registry],
    collect() {
      this.set(sources?.openFiles() ?? 0);
    },
  });
  new Gauge({
    name: 'numeter_storage_messages_in_flight',
    help: 'Deliveries being handled (not yet acked)',
    registers: [registry],
    collect() {
      this.set(sources?.consumerInFlight() ?? 0);
    },
  });
  const events: IngestEvents = {
    accepted(kind, count) {
      messages.inc({ kind, outcome: 'stored' });
      if (count) points.inc(count);
    },
    refused(kind: RefusalKind) {
      deadLetters.inc({ reason: kind });
      messages.inc({ kind: 'unknown', outcome: 'dead_lettered' });
    },
    pointsSkipped(reason, count) {
      skipped.inc({ reason }, count);
    },
    retried() {
      messages.inc({ kind: 'unknown', outcome: 'requeued' });
    },
  };
  return {
    registry,
    events,
    onFlush(seconds, written) {
      flushSeconds.observe(seconds);
      flushPoints.inc(written);
    },
    observe(s) {
      sources = s;
    },
    onSeriesRefused(limit) {
      seriesRefused.inc({ limit });
    },
  };
}
