/**
 * The view editor's search refined in the page while the server answers: typing "web0032" then
 * "1" narrows what "web0032" loaded, at once. It relies on the server's semantics
 * (src/repos/source-search.ts): an item matches when each word is a case-insensitive substring of
 * one of its texts, and answers come in one fixed order, cut after `limit`. When every word typed
 * before is inside a word typed now, whatever matches now matched before; so the loaded items that
 * still match are exactly the new answer up to the last item loaded: all of it when the loaded
 * answer was whole, its beginning when it was cut.
 */

/** What one server answer covered: the words asked, the items in the server's order, whether it was cut. */
export interface LoadedAnswer<T> {
  words: readonly string[];
  results: readonly T[];
  truncated: boolean;
}

export interface Refined<T> {
  results: T[];
  /** True when these are the whole answer (the loaded one was whole); false: its beginning only. */
  whole: boolean;
}

/** Case and accents folded, as the database's `utf8mb4_unicode_ci` compares them (near enough to narrow). */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a query, as the server splits them. */
export function wordsOf(q: string): string[] {
  return fold(q).trim().split(/\s+/).filter(Boolean);
}

/** Whatever matches `now` matched `before`: every earlier word is inside some word typed now. */
export function narrows(before: readonly string[], now: readonly string[]): boolean {
  return before.every((old) => now.some((word) => word.includes(old)));
}

/** The loaded items that match `words`, or null when `words` does not narrow what was loaded. */
export function refine<T>(loaded: LoadedAnswer<T> | null, words: readonly string[], texts: (item: T) => string[]): Refined<T> | null {
  if (!loaded || !narrows(loaded.words, words)) return null;
  const results = loaded.results.filter((item) => {
    const folded = texts(item).map(fold);
    return words.every((word) => folded.some((text) => text.includes(word)));
  });
  return { results, whole: !loaded.truncated };
}
