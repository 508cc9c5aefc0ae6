import type { ErrorRateConfig } from '../config/schema-checks.ts';
import type { CheckOutcome } from './check-result.ts';

/** Cumulative counters of one release as the proxy keeps them. */
export interface TrafficCounters {
  requests: number;
  /** Responses by status class: { '2xx': n, '5xx': n, ... }. */
  byStatusClass: Record<string, number>;
}

export type CountersFn = (release: string) => Promise<TrafficCounters> | TrafficCounters;

export interface ErrorRateMeasurement {
  requests: number;
  errors: number;
  /** errors / requests, or null when there were no requests. */
  rate: number | null;
  windowMs: number;
}

export interface ErrorRateOutcome extends CheckOutcome {
  /** Too few requests (or counters that went backwards) to judge. */
  inconclusive: boolean;
}

/**
 * Judges the 5xx share between two snapshots. Below minRequests the window proves nothing, so the
 * result is inconclusive and, by default, a failure: no traffic must never read as "no errors".
 */
export function computeErrorRate(before: TrafficCounters, after: TrafficCounters, config: ErrorRateConfig): ErrorRateOutcome {
  const requests = after.requests - before.requests;
  const errors = (after.byStatusClass['5xx'] ?? 0) - (before.byStatusClass['5xx'] ?? 0);
  const threshold = { maxErrorRate: config.maxErrorRate, minRequests: config.minRequests, windowMs: config.windowMs };
  const seconds = `${Math.round(config.windowMs / 100) / 10}s`;
  if (requests < 0 || errors < 0) {
    return inconclusive(
      config,
      `the counters went backwards during the ${seconds} window (the proxy restarted?)`,
      { requests, errors, rate: null, windowMs: config.windowMs },
      threshold,
    );
  }
  const rate = requests === 0 ? null : errors / requests;
  const measured: ErrorRateMeasurement = { requests, errors, rate, windowMs: config.windowMs };
  if (requests < config.minRequests) {
    return inconclusive(
      config,
      `only ${requests} requests in ${seconds} (need ${config.minRequests} to judge the error rate)`,
      measured,
      threshold,
    );
  }
  const percent = (value: number) => `${Math.round(value * 10_000) / 100}%`;
  const text = `${errors} of ${requests} responses were 5xx in ${seconds} (${percent(rate ?? 0)})`;
  return (rate ?? 0) > config.maxErrorRate
    ? { outcome: 'fail', inconclusive: false, message: `${text}, above ${percent(config.maxErrorRate)}`, measured, threshold }
    : { outcome: 'pass', inconclusive: false, message: text, measured, threshold };
}

function inconclusive(
  config: ErrorRateConfig,
  why: string,
  measured: ErrorRateMeasurement,
  threshold: Record<string, unknown>,
): ErrorRateOutcome {
  if (config.onInconclusive === 'skip') {
    return {
      outcome: 'skipped',
      inconclusive: true,
      message: `inconclusive: ${why}; recorded as skipped (errorRate.onInconclusive: skip)`,
      measured,
      threshold,
    };
  }
  return {
    outcome: 'fail',
    inconclusive: true,
    message: `inconclusive: ${why}; failing (errorRate.onInconclusive: fail)`,
    measured,
    threshold,
  };
}

/** Takes a snapshot, waits windowMs (abortable), takes another, and judges the difference. */
export async function measureErrorRate(
  counters: CountersFn,
  release: string,
  config: ErrorRateConfig,
  signal?: AbortSignal,
): Promise<ErrorRateOutcome> {
  const before = await counters(release);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, config.windowMs);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
  const after = await counters(release);
  return computeErrorRate(before, after, config);
}
