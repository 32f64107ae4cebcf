/**
 * Calls `fn` once typing pauses for `ms`. A keystroke aborts the request of the search before it
 * (`signal`: its answer is stale, fetching it would only load the server), and answers that still
 * arrive after a newer query was sent are dropped (`isLatest`: a slow answer to "we" never
 * replaces the one to "web01").
 */
export function debounced(
  ms: number,
  fn: (value: string, isLatest: () => boolean, signal: AbortSignal) => Promise<void>,
): (value: string) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let inFlight: AbortController | undefined;
  return (value: string) => {
    clearTimeout(timer);
    inFlight?.abort();
    timer = setTimeout(() => {
      const mine = ++generation;
      const controller = new AbortController();
      inFlight = controller;
      void fn(value, () => mine === generation && !controller.signal.aborted, controller.signal);
    }, ms);
  };
}

/**
 * The keystroke pause before a search is sent (milliseconds): long enough that a typist's
 * keystrokes (about 100-200 ms apart) mostly do not each cost a request, short enough to stay
 * under the 50 ms budget of issue 16 for the keystroke-to-list part the server must answer; the
 * view editor shows a locally refined list at once meanwhile (client/refine.ts).
 */
export const TYPING_PAUSE_MS = 60;
