import type { PluginDescription } from '../modules/types.js';

/**
 * The poller's own health, published as the `numeter_poller` plugin and logged after
 * every poll. Points are single values (one field at one time).
 */
export const SELF_PLUGIN = 'numeter_poller';

export interface PollFigures {
  collected: number;
  spooled: number;
  dropped: number;
  published: number | null;
  spoolRecords: number | null;
  spoolBytes: number | null;
  spoolAge: number | null;
  duration: number;
  moduleErrors: number;
}

export const SELF_DESCRIPTION: PluginDescription = {
  plugin: SELF_PLUGIN,
  title: 'Numeter poller',
  vlabel: 'per poll',
  category: 'numeter',
  order: ['collected', 'spooled', 'published', 'dropped', 'spool_records', 'spool_bytes', 'spool_age', 'poll_duration', 'module_errors'],
  info: 'What the poller itself did during each poll.',
  fields: {
    collected: { label: 'points collected', type: 'GAUGE', min: 0 },
    spooled: { label: 'points written to the spool', type: 'GAUGE', min: 0 },
    published: { label: 'messages confirmed by the broker', type: 'GAUGE', min: 0 },
    dropped: { label: 'points dropped', type: 'GAUGE', min: 0, info: 'Invalid, undescribed, or evicted from a full spool' },
    spool_records: { label: 'spool depth (messages)', type: 'GAUGE', min: 0 },
    spool_bytes: { label: 'spool size (bytes)', type: 'GAUGE', min: 0 },
    spool_age: { label: 'oldest spooled message (s)', type: 'GAUGE', min: 0 },
    poll_duration: { label: 'poll duration (s)', type: 'GAUGE', min: 0 },
    module_errors: { label: 'module and plugin errors', type: 'GAUGE', min: 0 },
  },
};

export function selfValues(figures: PollFigures): Record<string, number | null> {
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
