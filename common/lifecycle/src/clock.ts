/** An opaque timer handle: whatever the clock's setTimeout returned. */
export type TimerHandle = unknown;

/**
 * The one source of time, injected wherever time is read or waited for, with the unit in
 * every name: epoch milliseconds, epoch seconds (fractional; floor it where whole seconds
 * are meant, as the storage's Whisper timestamps are). Tests pass a ManualClock
 * (common/testing) and move time themselves.
 */
export interface Clock {
  /** Epoch milliseconds. */
  nowMs(): number;
  /** Epoch seconds, fractional: `nowMs() / 1000`. */
  nowSeconds(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowSeconds: () => Date.now() / 1000,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Epoch seconds without the fraction: Whisper and the REST API count in whole seconds. */
export function wholeSecondsOf(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}
