/**
 * Munin `warning`/`critical` ranges: `max`, `min:max`, `:max` or `min:`. A bare number is an
 * upper bound. Anything else is reported, not guessed.
 */
export interface MuninRange {
  min?: number;
  max?: number;
}

export class RangeSyntaxError extends Error {
  override name = 'RangeSyntaxError';
}

function bound(text: string, whole: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeSyntaxError(`range "${whole}": "${text}" is not a number`);
  return value;
}

export function parseMuninRange(text: string): MuninRange {
  const parts = text.trim().split(':');
  if (parts.length > 2 || text.trim() === '') throw new RangeSyntaxError(`range "${text}" is not max, min:max, :max or min:`);
  if (parts.length === 1) return { max: bound(parts[0], text) };
  const range: MuninRange = {};
  const min = bound(parts[0], text);
  const max = bound(parts[1], text);
  if (min !== undefined) range.min = min;
  if (max !== undefined) range.max = max;
  return range;
}
