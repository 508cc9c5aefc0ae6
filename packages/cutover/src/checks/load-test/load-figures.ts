/** What one load test measured: the figures its verdict and the record carry. */
export interface LoadFigures {
  /** Requests the schedule called for (rate × duration). */
  offered: number;
  sent: number;
  /** Not sent because maxInFlight requests were already waiting: the release fell behind. */
  dropped: number;
  /** Answered with any status. */
  answered: number;
  /** 5xx and 4xx answers, timeouts, refused or reset connections. */
  errors: number;
  timedOut: number;
  /** Answers by status class ("2xx", "5xx"...) and "network" for requests that got none. */
  byStatus: Record<string, number>;
  durationMs: number;
  offeredRatePerSecond: number;
  answeredRatePerSecond: number;
  /** answered / offered: 1 when the release kept up with the offered rate. */
  rateRatio: number;
  /** errors / (sent + dropped). */
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The worst delay of a send behind its schedule: large values mean the generator itself was starved. */
  maxSendLagMs: number;
}

/** Nearest-rank percentile of sorted values (null when there are none). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
