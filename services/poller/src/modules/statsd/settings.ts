import { z } from 'zod';
import { IniProblem, iniField, iniInt, iniNumber, shownIniValue } from '../../../../../common/config/index.js';
import { listenAddress, listenerKeys } from '../carbon/settings.js';

/** `[StatsdModule]`; defaults live here only (docs/collectors.md describes them). */
export function percentilesField(defaultValue: number[]) {
  return iniField(defaultValue, (text) => {
    const values = text.split(',').map((v) => Number(v.trim()));
    if (values.some((v) => !(v > 0 && v <= 100)) || values.length > 10)
      return new IniProblem(`${shownIniValue(text)} is not a list of at most 10 percentiles in (0, 100], separated by commas`);
    return [...new Set(values)];
  });
}

export const statsdSection = z.object({
  listen: listenAddress('127.0.0.1:8125'),
  ...listenerKeys,
  // At least a second: each flush is one timestamp, and a second value for one second is dropped.
  flush_interval: iniNumber(10, 1, 3600),
  percentiles: percentilesField([90]),
  max_timer_values: iniInt(10_000, 10, 1_000_000),
  max_set_size: iniInt(10_000, 10, 1_000_000),
});

export type StatsdSettings = z.output<typeof statsdSection>;
