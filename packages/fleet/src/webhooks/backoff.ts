/** How deliveries are retried: exponential backoff with jitter, a capped number of attempts. */
export interface RetryPolicy {
  /** The wait after the first failed attempt. */
  baseMs: number;
  /** No wait is longer. */
  maxDelayMs: number;
  /** After this many failed attempts a delivery is failed, and its endpoint's queue moves on. */
  maxAttempts: number;
}

/** 10 s, 20 s, 40 s ... up to an hour, 10 attempts: about an hour and a half of trying. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 10_000, maxDelayMs: 3_600_000, maxAttempts: 10 };

/**
 * The wait after `attempts` failed attempts: base × 2^(attempts-1), capped,
 * then scaled by a random factor in [0.8, 1.2) so that endpoints failing
 * together do not retry together.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy = DEFAULT_RETRY, random = Math.random): number {
  const exponential = policy.baseMs * 2 ** Math.max(0, attempts - 1);
  return Math.round(Math.min(policy.maxDelayMs, exponential) * (0.8 + 0.4 * random()));
}
