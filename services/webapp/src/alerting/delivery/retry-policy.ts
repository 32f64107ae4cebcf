import type { DeliveryConfig } from './config.js';

/** What becomes of a notification whose send failed. */
export type RetryDecision = { retry: true; atMs: number } | { retry: false; why: string };

/**
 * Exponential backoff with jitter: the n-th failure waits initial × 2^(n-1), capped at the
 * maximum, of which the second half is random (so contacts failing together do not retry
 * together, and a wait is never below half its step). Bounded by attempts and by age.
 * `random` is in [0, 1), injected so tests can pin it.
 */
export function retryDecision(
  policy: Pick<DeliveryConfig, 'backoff_initial_ms' | 'backoff_max_ms' | 'max_attempts' | 'max_age_ms'>,
  failure: { attempts: number; createdAtMs: number; nowMs: number; permanent: boolean },
  random: () => number,
): RetryDecision {
  if (failure.permanent) return { retry: false, why: 'permanent error' };
  if (failure.attempts >= policy.max_attempts) return { retry: false, why: `gave up after ${failure.attempts} attempts` };
  const step = Math.min(policy.backoff_max_ms, policy.backoff_initial_ms * 2 ** Math.min(failure.attempts - 1, 40));
  const atMs = failure.nowMs + Math.round(step / 2 + (step / 2) * random());
  if (atMs - failure.createdAtMs > policy.max_age_ms)
    return { retry: false, why: `gave up: older than ${policy.max_age_ms} ms after ${failure.attempts} attempts` };
  return { retry: true, atMs };
}
