import { percentile } from '../../test/e2e/support/load-generator.ts';
import type { LoadSample } from './open-loop-load.ts';

/** A span of performance.now() time, both ends included. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface LatencySummary {
  requests: number;
  failed: number;
  /** Failures by kind and connection type, e.g. `ECONNRESET (keep-alive)`. */
  failures: Record<string, number>;
  /** Latencies of the successful requests. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A failure with how it was sent; a reused socket idle for a second or more hints at an idle-timeout race. */
export function failureKind(sample: LoadSample): string {
  if (sample.freshConnection) return `${sample.outcome} (new connection)`;
  return `${sample.outcome} (keep-alive${sample.socketIdleMs !== null && sample.socketIdleMs >= 1000 ? ', socket idle ≥ 1 s' : ''})`;
}

export function summarize(samples: LoadSample[]): LatencySummary {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  for (const sample of samples) {
    if (sample.outcome === 'ok') latencies.push(sample.latencyMs);
    else failures[failureKind(sample)] = (failures[failureKind(sample)] ?? 0) + 1;
  }
  return {
    requests: samples.length,
    failed: samples.length - latencies.length,
    failures,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.length > 0 ? latencies.reduce((max, v) => Math.max(max, v), 0) : Number.NaN,
  };
}

/** Splits samples by whether they were sent inside one of the windows. */
export function splitByWindows(samples: LoadSample[], windows: TimeWindow[]): { inside: LoadSample[]; outside: LoadSample[] } {
  const inside: LoadSample[] = [];
  const outside: LoadSample[] = [];
  for (const sample of samples) {
    if (windows.some((w) => sample.sentAt >= w.start && sample.sentAt <= w.end)) inside.push(sample);
    else outside.push(sample);
  }
  return { inside, outside };
}

/** Rounds for display; NaN (no data) prints as a dash. */
export function ms(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** `a / b` as "1.8x", or a dash when it means nothing (no data, or division by zero). */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-';
}
