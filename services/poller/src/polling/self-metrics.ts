import type { PluginDescription } from '../modules/types.js';

/**
 * The poller's own health, published as the `numeter_poller` plugin every poll. The
 * counters (collected, spooled, published, dropped, module errors) are totals since the
 * poller started, declared DERIVE (min 0), so they go through the same rate conversion as
 * every module's counters and the graphs show per-second rates; a restart only loses one
 * point. The spool depth, size, age and the poll's duration are gauges.
 */
export const SELF_PLUGIN = 'numeter_poller';

/** What the self-metrics read: totals since start, and the gauges of this poll. */
export interface SelfFigures {
  collected: number;
  spooled: number;
  dropped: number;
  /** Messages the broker confirmed since start (unknown with --simulate). */
  published: number | null;
  moduleErrors: number;
  spoolRecords: number | null;
  spoolBytes: number | null;
  spoolAge: number | null;
  /** Seconds this poll took until publishing. */
  duration: number;
}

const counter = (label: string, info?: string) => ({ label, type: 'DERIVE' as const, min: 0, ...(info && { info }) });
const gauge = (label: string) => ({ label, type: 'GAUGE' as const, min: 0 });

export const SELF_DESCRIPTION: PluginDescription = {
  plugin: SELF_PLUGIN,
  title: 'Numeter poller',
  vlabel: 'per second (counters) or as shown',
  category: 'numeter',
  order: ['collected', 'spooled', 'published', 'dropped', 'spool_records', 'spool_bytes', 'spool_age', 'poll_duration', 'module_errors'],
  info: 'What the poller itself does: counters as rates per second, the spool and the last poll as gauges.',
  fields: {
    collected: counter('points collected'),
    spooled: counter('points written to the spool'),
    published: counter('messages confirmed by the broker'),
    dropped: counter('points dropped', 'Invalid, undescribed, or evicted from a full spool'),
    spool_records: gauge('spool depth (messages)'),
    spool_bytes: gauge('spool size (bytes)'),
    spool_age: gauge('oldest spooled message (s)'),
    poll_duration: gauge('poll duration (s)'),
    module_errors: counter('module and plugin errors'),
  },
};

/** The raw readings of the self plugin (counters as totals; the rate conversion follows). */
export function selfValues(figures: SelfFigures): Record<string, number | null> {
  return {
    collected: figures.collected,
    spooled: figures.spooled,
    published: figures.published,
    dropped: figures.dropped,
    spool_records: figures.spoolRecords,
    spool_bytes: figures.spoolBytes,
    spool_age: figures.spoolAge,
    poll_duration: Math.round(figures.duration * 1000) / 1000,
    module_errors: figures.moduleErrors,
  };
}
