import type { FieldType } from '../../../../common/schemas/index.js';

/**
 * munin/RRD data-source semantics, applied by the poller core to raw readings.
 *
 * - GAUGE: the value as read.
 * - DERIVE: (v - v_prev) / (t - t_prev); may be negative unless `min` says otherwise.
 * - COUNTER: like DERIVE but never decreasing: a decrease is a 32-bit or 64-bit wrap
 *   when the wrapped difference is plausible (under half the counter's range), and a
 *   reset (restarted daemon, rebooted switch) otherwise, which gives unknown instead of
 *   RRD's huge spike or the original poller's negative one.
 * - ABSOLUTE: the counter is reset on every read, so v / (t - t_prev).
 *
 * For every type a value outside [min, max] becomes unknown (RRD discards it). The
 * first reading of a counter, a reading after an unknown one, one older than the
 * last, and one after a gap longer than the heartbeat give unknown: never a raw counter.
 */
export interface LastReading {
  /** Seconds since the epoch. */
  t: number;
  v: number;
}

export interface RateLimits {
  min?: number;
  max?: number;
  /** Longest gap (seconds) across which a rate is still computed. */
  heartbeat: number;
}

export interface RateResult {
  value: number | null;
  /** What to remember: a reading, null to forget, undefined to keep the previous one. */
  remember: LastReading | null | undefined;
}

const TWO_32 = 2 ** 32;
const TWO_64 = 2 ** 64;

export function convertReading(
  type: FieldType,
  previous: LastReading | undefined,
  raw: number | null,
  t: number,
  limits: RateLimits,
): RateResult {
  if (type === 'GAUGE') return { value: inRange(raw, limits), remember: undefined };
  if (raw === null || !Number.isFinite(raw)) return { value: null, remember: null };
  const reading = { t, v: raw };
  if (!previous) return { value: null, remember: reading };
  const elapsed = t - previous.t;
  if (elapsed <= 0) return { value: null, remember: undefined };
  if (elapsed > limits.heartbeat) return { value: null, remember: reading };
  const rate = rateOf(type, previous.v, raw, elapsed);
  return { value: inRange(rate, limits), remember: reading };
}

function rateOf(type: Exclude<FieldType, 'GAUGE'>, before: number, now: number, elapsed: number): number | null {
  switch (type) {
    case 'DERIVE':
      return (now - before) / elapsed;
    case 'ABSOLUTE':
      return now / elapsed;
    case 'COUNTER': {
      const delta = counterDelta(before, now);
      return delta === null ? null : delta / elapsed;
    }
  }
}

/** The increase of a wrapping counter, or null when the decrease looks like a reset. */
export function counterDelta(before: number, now: number): number | null {
  if (before < 0 || now < 0) return null;
  if (now >= before) return now - before;
  const width = before < TWO_32 ? TWO_32 : TWO_64;
  const wrapped = width - before + now;
  return wrapped <= width / 2 ? wrapped : null;
}

function inRange(value: number | null, limits: RateLimits): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (limits.min !== undefined && value < limits.min) return null;
  if (limits.max !== undefined && value > limits.max) return null;
  return value;
}
