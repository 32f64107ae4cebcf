const UNITS: ReadonlyArray<[prefix: string, seconds: number]> = [
  ['s', 1],
  ['min', 60],
  ['h', 3600],
  ['d', 86_400],
  ['w', 7 * 86_400],
  ['mon', 30 * 86_400],
  ['y', 365 * 86_400],
];

const MAX_INTERVAL_LENGTH = 64;

/** Seconds of one Graphite time unit, read by prefix as graphite-web does (`min`, `mins`, `minutes`). */
export function unitSeconds(unit: string): number | undefined {
  return UNITS.find(([prefix]) => unit.startsWith(prefix))?.[1];
}

/**
 * graphite-web's parseTimeOffset(): `[+-]?(<digits><unit>)+` in seconds, units by prefix
 * (s, min, h, d, w, mon = 30 d, y = 365 d; a bare `m` is refused). No sign means +.
 * Null when the text is not an offset.
 */
export function parseInterval(text: string): number | null {
  if (text.length === 0 || text.length > MAX_INTERVAL_LENGTH) return null;
  let rest = text;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return null;
  let total = 0;
  for (const [, count, unit] of rest.matchAll(/(\d+)([A-Za-z]+)|(.)/g)) {
    if (count === undefined) return null;
    const seconds = unitSeconds(unit);
    if (seconds === undefined) return null;
    total += Number(count) * seconds;
  }
  return sign * total;
}
