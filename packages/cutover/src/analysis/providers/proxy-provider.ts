import { formatPromDuration } from '../../config/query-template.ts';
import type { ProxyMetricName, ProxyProviderConfig } from '../../config/schema-analysis.ts';
import { errorText } from '../../shared/error-text.ts';
import { type MeasureContext, type MeasurementValue, type MetricProvider, measurementError, noData } from '../metric-provider.ts';
import { quantile } from '../sample-stats.ts';

/** Cumulative counters of one release, as the agent proxy keeps them. */
export interface ProxyCounters {
  requests: number;
  byStatusClass: Record<string, number>;
  /** Answers the proxy generated itself (502/503/504); they are also 5xx samples. */
  proxyErrors: number;
  latencyBucketsMs: readonly { le: number; count: number }[];
  latencySumMs: number;
}

/** One finished request: when (epoch ms), how long, which status; or one still in flight (its age so far, status 0). */
export interface ProxySample {
  atMs: number;
  latencyMs: number;
  status: number;
  inFlight?: boolean;
}

/** What the proxy knows about one release; counters are null when it has never seen the release. */
export interface ProxyReading {
  counters: ProxyCounters | null;
  samples: readonly ProxySample[];
}

/** Reads the proxy's counters and recent samples of a release (the caller binds the service and the agent). */
export type ProxyMetricsSource = (release: string) => Promise<ProxyReading>;

const QUANTILES: Partial<Record<ProxyMetricName, number>> = { 'latency-p50': 0.5, 'latency-p95': 0.95, 'latency-p99': 0.99 };

/**
 * Built-in metrics from the proxy's own view of a release: every request it forwarded, including
 * the 502/503/504 it answered itself when the release failed to. Windowed by the samples' finish
 * time, so a measurement judges recent traffic only, not everything since the release started.
 */
export function createProxyProvider(source: ProxyMetricsSource): MetricProvider<ProxyProviderConfig> {
  return {
    async measure(query, ctx) {
      return measureProxy(query.metric, await readSource(source, ctx), ctx);
    },
  };
}

async function readSource(source: ProxyMetricsSource, ctx: MeasureContext): Promise<ProxyReading | string> {
  try {
    return await source(ctx.release);
  } catch (error) {
    return `the proxy's counters for release ${ctx.release} could not be read: ${errorText(error)}`;
  }
}

/** Computes one built-in metric from a reading; pure, so each rule is tested by exact output. */
export function measureProxy(
  metric: ProxyMetricName,
  reading: ProxyReading | string,
  ctx: Pick<MeasureContext, 'release' | 'windowMs' | 'nowMs'>,
): MeasurementValue {
  const window = formatPromDuration(ctx.windowMs);
  const query = `proxy ${metric} of release ${ctx.release} over ${window}`;
  if (typeof reading === 'string') return measurementError(query, reading);
  const startMs = ctx.nowMs - ctx.windowMs;
  const inWindow = reading.samples.filter(
    (s) => s.inFlight !== true && s.atMs >= startMs && s.atMs <= ctx.nowMs && Number.isFinite(s.latencyMs),
  );
  // A request still unanswered has taken at least its age: latency counts it, so a release that hangs
  // never looks fast (or idle). It has no status yet, so rates leave it out.
  const pending = reading.samples.filter((s) => s.inFlight === true && Number.isFinite(s.latencyMs));
  const byStatusClass: Record<string, number> = {};
  let serverErrors = 0;
  for (const sample of inWindow) {
    const statusClass = `${Math.trunc(sample.status / 100)}xx`;
    byStatusClass[statusClass] = (byStatusClass[statusClass] ?? 0) + 1;
    if (sample.status >= 500 && sample.status <= 599) serverErrors++;
  }
  const requests = inWindow.length;
  const oldest = reading.samples.find((s) => s.inFlight !== true);
  // The proxy keeps a bounded ring of samples: when even the oldest one it still has is inside the
  // window and it has counted more requests than it kept, part of the window was overwritten.
  const truncated = oldest !== undefined && oldest.atMs > startMs && (reading.counters?.requests ?? 0) > reading.samples.length;
  const raw = {
    windowStartMs: startMs,
    windowEndMs: ctx.nowMs,
    requests,
    serverErrors,
    byStatusClass,
    truncated,
    inFlight: pending.length,
    totalRequests: reading.counters?.requests ?? 0,
    totalProxyErrors: reading.counters?.proxyErrors ?? 0,
  };
  const quantileOf = QUANTILES[metric];
  if (quantileOf !== undefined && requests + pending.length > 0) {
    const latencies = [...inWindow, ...pending].map((s) => s.latencyMs);
    return { outcome: 'value', query, value: quantile(latencies, quantileOf), sampleCount: latencies.length, samples: latencies, raw };
  }
  if (requests === 0) {
    const seen = reading.counters === null ? ' (the proxy has never routed to it)' : '';
    const waiting = pending.length > 0 ? ` (${pending.length} still unanswered)` : '';
    return noData(query, `no requests reached release ${ctx.release} in the last ${window}${seen}${waiting}`, raw);
  }
  const value =
    metric === 'success-rate' ? (requests - serverErrors) / requests : metric === 'error-rate' ? serverErrors / requests : requests;
  return { outcome: 'value', query, value, sampleCount: requests, raw };
}
