import { parsePythonFloat } from '../carbon/number.js';

/**
 * One StatsD line as etsy's StatsD reads it: `name:value|type[|@rate][|#tags]`, several
 * `value|type` groups after one name (`name:1|c:2|c`) allowed. Names are cleaned the way
 * etsy's server does (white space runs to `_`, `/` to `-`, every other character outside
 * `A-Za-z0-9_.-` removed). Types: `c` counter, `ms` timer (`h` and DogStatsD's `d` are
 * taken as timers), `g` gauge (`+`/`-` in front: a change of the last value), `s` set.
 * DogStatsD tags (`|#a:b`) are accepted and ignored.
 */
export type StatsdType = 'counter' | 'timer' | 'gauge' | 'set';
export type StatsdProblem = 'malformed' | 'bad_type' | 'bad_value' | 'value_out_of_range' | 'bad_sample_rate';

export interface StatsdSample {
  name: string;
  type: StatsdType;
  /** The number; for a set, 0 (the member is in `member`). */
  value: number;
  member: string;
  /** Gauge with a sign in front: added to the last value. */
  delta: boolean;
  /** In (0, 1]. */
  sampleRate: number;
}

const TYPES: Record<string, StatsdType> = { c: 'counter', ms: 'timer', h: 'timer', d: 'timer', g: 'gauge', s: 'set' };

export function cleanName(raw: string): string {
  return raw
    .replace(/\s+/g, '_')
    .replace(/\//g, '-')
    .replace(/[^A-Za-z0-9_.-]/g, '');
}

/** The samples of a line, or the first problem found (a bad line is refused whole). */
export function parseStatsdLine(line: string): StatsdSample[] | StatsdProblem | null {
  if (line.trim() === '') return null;
  const groups = line.split(':');
  if (groups.length < 2) return 'malformed';
  const name = cleanName(groups[0]);
  if (name === '') return 'malformed';
  // DogStatsD tags may contain ':' (`|#env:prod`): glue those parts back to their group.
  const joined: string[] = [];
  for (const part of groups.slice(1)) {
    if (joined.length && /\|#[^|]*$/.test(joined[joined.length - 1])) joined[joined.length - 1] += `:${part}`;
    else joined.push(part);
  }
  const samples: StatsdSample[] = [];
  for (const group of joined) {
    const sample = parseGroup(name, group);
    if (typeof sample === 'string') return sample;
    samples.push(sample);
  }
  return samples;
}

function parseGroup(name: string, group: string): StatsdSample | StatsdProblem {
  const fields = group.split('|');
  if (fields.length < 2) return 'malformed';
  const type = TYPES[fields[1]];
  if (!type) return 'bad_type';
  let sampleRate = 1;
  for (const option of fields.slice(2)) {
    if (option.startsWith('@')) {
      const rate = parsePythonFloat(option.slice(1));
      if (rate === undefined || !(rate > 0 && rate <= 1)) return 'bad_sample_rate';
      sampleRate = rate;
    } else if (!option.startsWith('#') && option !== '') return 'malformed';
  }
  const text = fields[0];
  if (type === 'set') return { name, type, value: 0, member: text.slice(0, 256), delta: false, sampleRate };
  const value = parsePythonFloat(text);
  if (value === undefined || Number.isNaN(value)) return 'bad_value';
  if (!Number.isFinite(value) || Math.abs(value) > 1e300) return 'value_out_of_range';
  const delta = type === 'gauge' && (text.startsWith('+') || text.startsWith('-'));
  return { name, type, value, member: '', delta, sampleRate };
}
