/** Backoff after a lock timeout (SQLSTATE 55P03): doubling from `baseMs`, capped at `maxMs`. */
export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): half of the capped exponential
 * delay is fixed and half is random, so runners that timed out together do not retry together.
 * `random` is injectable so the schedule can be tested exactly.
 */
export function lockRetryDelayMs(attempt: number, backoff: RetryBackoff, random: () => number = Math.random): number {
  const capped = Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt);
  return Math.round(capped / 2 + random() * (capped / 2));
}
