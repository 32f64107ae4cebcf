/**
 * When the webapp asks a storage again: a 429 (its rate limit) or a 503 (busy reading for other
 * requests, or its index unavailable) is an answer to come back later, not a failure of the
 * host. The wait is the storage's own `Retry-After` when it sends one, else an exponential
 * backoff; every wait is capped (`maxWaitMs`), and one request gives up once the next wait would
 * pass its total deadline (`deadlineMs` from its first try). Time is injected (milliseconds).
 */
export interface RetryPolicy {
  /** Longest single wait, whatever `Retry-After` says. */
  maxWaitMs: number;
  /** Total time one request may spend from its first try to its last; 0 = never retry. */
  deadlineMs: number;
  /** First backoff without `Retry-After`; doubled each retry. */
  baseWaitMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

export const NO_RETRY: RetryPolicy = {
  maxWaitMs: 0,
  deadlineMs: 0,
  baseWaitMs: 0,
  now: Date.now,
  sleep: () => Promise.resolve(),
};

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Milliseconds a `Retry-After` value asks for: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when the header is missing or unreadable; a date in the past is 0.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d{1,10}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date) || !/[a-z]/i.test(value)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * The wait before retry number `attempt` (1 = the first retry): `Retry-After` or the backoff, at
 * least `baseWaitMs` (a `Retry-After: 0` storage is not hammered), at most `maxWaitMs`.
 */
export function waitBeforeRetry(policy: RetryPolicy, attempt: number, retryAfter: number | undefined): number {
  const backoff = policy.baseWaitMs * 2 ** Math.min(attempt - 1, 20);
  return Math.min(policy.maxWaitMs, Math.max(policy.baseWaitMs, retryAfter ?? backoff));
}
