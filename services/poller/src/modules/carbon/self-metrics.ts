import type { FieldInfo } from '../../../../../common/schemas/index.js';
import type { PluginDescription, Sample } from '../types.js';

/**
 * A listener module's own figures, returned to the poll cycle every poll as a plugin of
 * the poller's host: monotonic counters published as DERIVE (the graphs show rates), the
 * open connections as a GAUGE. One `bad_<reason>` field per reason of refused input.
 */
export function selfMetrics(options: {
  plugin: string;
  title: string;
  counters: Record<string, number>;
  gauges: Record<string, number>;
  problems: Record<string, number>;
  labels: Record<string, string>;
  nowSeconds: number;
}): { description: PluginDescription; sample: Sample } {
  const fields: Record<string, FieldInfo> = {};
  const values: Record<string, number> = {};
  for (const [name, value] of Object.entries(options.counters)) {
    fields[name] = { label: options.labels[name] ?? name.replace(/_/g, ' '), type: 'DERIVE', min: 0 };
    values[name] = value;
  }
  for (const [name, value] of Object.entries(options.gauges)) {
    fields[name] = { label: options.labels[name] ?? name.replace(/_/g, ' '), type: 'GAUGE', min: 0 };
    values[name] = value;
  }
  for (const [reason, value] of Object.entries(options.problems)) {
    fields[`bad_${reason}`] = { label: `refused: ${reason.replace(/_/g, ' ')}`, type: 'DERIVE', min: 0 };
    values[`bad_${reason}`] = value;
  }
  return {
    description: {
      plugin: options.plugin,
      title: options.title,
      vlabel: 'per second',
      category: 'numeter',
      order: Object.keys(fields),
      info: 'Input accepted, spooled and refused (by reason) by this listener.',
      fields,
    },
    sample: { plugin: options.plugin, timestamp: options.nowSeconds, values },
  };
}
