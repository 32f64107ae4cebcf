import type { Request } from 'express';
import { RESOLUTION_SECONDS, Resolution } from '../../../../common/schemas/index.js';
import { parseAtTime } from './attime.js';
import { BadParameterError, quote } from './errors.js';
import { optionalParam } from './params.js';
import type { TimeWindow } from './series.js';

/**
 * The time window of a data request. `res` (Hourly…Yearly) looks back its length from
 * `now`; `from`/`until` (Graphite forms) override it. `now` is read once per request and
 * handed to whisper, so the archive choice cannot flip between two clock reads.
 */
export function dataWindow(req: Request, now: number): TimeWindow {
  const res = optionalParam(req, 'res');
  const fromText = optionalParam(req, 'from');
  const untilText = optionalParam(req, 'until');
  let lookBack: number | undefined;
  if (res !== undefined && res !== '') {
    const parsed = Resolution.safeParse(res);
    if (!parsed.success) {
      throw new BadParameterError('res', `res ${quote(res)} is not one of ${Resolution.options.join(', ')}`);
    }
    lookBack = RESOLUTION_SECONDS[parsed.data];
  }
  if (lookBack === undefined && !fromText) {
    throw new BadParameterError('res', `missing parameter res (${Resolution.options.join(', ')}) or from`);
  }
  return windowFrom(fromText, untilText, now, lookBack ?? 86_400);
}

/**
 * `from` defaults to `until - defaultLookBack` seconds (Graphite: 24 h), `until` to now
 * (and is capped at now). A `from` in the future is an empty window (as Graphite
 * answers), not an error: whisper holds nothing there, so nothing is read.
 */
export function windowFrom(fromText: string | undefined, untilText: string | undefined, now: number, defaultLookBack: number): TimeWindow {
  const until = untilText ? parseAtTime(untilText, now, 'until') : now;
  const from = fromText ? parseAtTime(fromText, now, 'from') : until - defaultLookBack;
  if (from >= until && from <= now) {
    throw new BadParameterError(fromText ? 'from' : 'until', `from (${from}) must be before until (${until})`);
  }
  return { from, until: Math.min(until, now), now };
}
