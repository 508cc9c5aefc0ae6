import type { AnalysisMetric, MetricUnit, ProxyMetricName } from '../config/schema-analysis.ts';

const PROXY_UNITS: Record<ProxyMetricName, MetricUnit> = {
  'success-rate': 'ratio',
  'error-rate': 'ratio',
  'latency-p50': 'ms',
  'latency-p95': 'ms',
  'latency-p99': 'ms',
  requests: 'count',
};

/** The unit a metric's values are shown in: its own, else the proxy metric's, else none. */
export function metricUnit(metric: Pick<AnalysisMetric, 'unit' | 'provider'>): MetricUnit {
  if (metric.unit !== undefined) return metric.unit;
  return metric.provider.kind === 'proxy' ? PROXY_UNITS[metric.provider.metric] : 'none';
}

/** At most 4 significant digits, without trailing zeros: 0.0523 -> "0.0523", 1234.5 -> "1235", 5 -> "5". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const digits = Math.abs(value) >= 1000 ? 0 : 4 - Math.ceil(Math.log10(Math.abs(value) + Number.EPSILON));
  return String(Number(value.toFixed(Math.max(0, Math.min(10, digits)))));
}

/** A value in its unit for reasons and summaries: ratio 0.052 -> "5.2%", ms 231.46 -> "231.5ms". */
export function formatValue(value: number, unit: MetricUnit): string {
  switch (unit) {
    case 'ratio':
      return `${formatNumber(value * 100)}%`;
    case 'percent':
      return `${formatNumber(value)}%`;
    case 'ms':
      return `${formatNumber(value)}ms`;
    case 's':
      return `${formatNumber(value)}s`;
    case 'count':
      return Number.isInteger(value) ? String(value) : formatNumber(value);
    case 'none':
      return formatNumber(value);
  }
}
