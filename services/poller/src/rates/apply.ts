import type { FieldInfo } from '../../../../common/schemas/index.js';
import { convertReading } from './convert.js';
import { RateStateFile } from './state-file.js';

export interface TimedValues {
  timestamp: number;
  values: Record<string, number | null>;
}

/**
 * Converts one plugin's readings (oldest first) with the field types of its
 * description, remembering raw readings in the state file. Fields the description does
 * not know are gauges.
 */
export function applyRates(
  state: RateStateFile,
  hostId: string,
  plugin: string,
  fields: Record<string, FieldInfo>,
  readings: TimedValues[],
  heartbeat: number,
): TimedValues[] {
  const ordered = [...readings].sort((a, b) => a.timestamp - b.timestamp);
  return ordered.map(({ timestamp, values }) => {
    const converted: Record<string, number | null> = {};
    for (const [field, raw] of Object.entries(values)) {
      const info = fields[field];
      const key = RateStateFile.key(hostId, plugin, field);
      const result = convertReading(info?.type ?? 'GAUGE', state.get(key), raw, timestamp, { min: info?.min, max: info?.max, heartbeat });
      state.apply(key, result.remember);
      converted[field] = result.value;
    }
    return { timestamp, values: converted };
  });
}
