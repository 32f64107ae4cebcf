/**
 * Duplicated keys in a JSON object (`{"hostId":"a","hostId":"b"}`): JSON.parse keeps the
 * last, other parsers the first, so a message could mean one thing to a checker and another
 * to the storage. They are found by comparing the keys written in the text with the keys
 * JSON.parse kept: two linear passes, no allocation per key (a duplicate-aware parser would
 * cost as much as the parse itself).
 */

/** Object keys written in a text JSON.parse accepted: strings followed by `:`. */
export function writtenKeyCount(text: string): number {
  let count = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    const close = closingQuote(text, open);
    if (close === -1) break;
    let next = close + 1;
    let c = text.charCodeAt(next);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++next);
    if (c === 58 /* : */) count++;
    open = text.indexOf('"', close + 1);
  }
  return count;
}

/** The quote ending the string opened at `open`: the next one not escaped by an odd run of backslashes. */
function closingQuote(text: string, open: number): number {
  let candidate = text.indexOf('"', open + 1);
  while (candidate !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(candidate - 1 - backslashes) === 92 /* \ */) backslashes++;
    if (backslashes % 2 === 0) return candidate;
    candidate = text.indexOf('"', candidate + 1);
  }
  return -1;
}

/** Own keys of every object in a JSON.parse result (iterative: depth is checked elsewhere, but never trusted). */
export function keptKeyCount(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null) continue;
    if (Array.isArray(item)) {
      for (const element of item) if (typeof element === 'object' && element !== null) stack.push(element);
      continue;
    }
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue;
      count++;
      const child = (item as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return count;
}
