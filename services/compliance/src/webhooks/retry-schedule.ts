/**
 * Retry delays after a failed delivery attempt (the Standard Webhooks example schedule: 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h, about three days in all), each with ±20 %
 * jitter so that a target coming back is not hit by every retry at once.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
];
export const RETRY_JITTER = 0.2;

/** The delay before attempt `attempt + 1` after `attempt` failures, or null when the schedule is spent. */
export function nextRetryDelayMs(attempt: number, random: () => number = Math.random, retryAfterSec?: number): number | null {
  const base = RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
  return retryAfterSec !== undefined && retryAfterSec * 1000 > jittered ? retryAfterSec * 1000 : jittered;
}
