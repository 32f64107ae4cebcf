/**
 * Calls `fn` once typing pauses for `ms`, and drops answers that arrive after a newer query was
 * sent (a slow answer to "we" never replaces the one to "web01").
 */
export function debounced(ms: number, fn: (value: string, isLatest: () => boolean) => Promise<void>): (value: string) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  return (value: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const mine = ++generation;
      void fn(value, () => mine === generation);
    }, ms);
  };
}

/** The keystroke pause before a search is sent (milliseconds). */
export const TYPING_PAUSE_MS = 150;
