/** What `cutover monitoring` generates from, beyond cutover.yml: thresholds with defaults. */
export interface MonitoringInput {
  service: string;
  /** agent.metricsPort of cutover.yml: where the agent serves /metrics and the instance targets. */
  metricsPort: number;
  /** Path the instances serve their own metrics on (default /metrics). */
  instanceMetricsPath: string;
  /** Share of 5xx answers over 5 minutes that alerts (default 0.05). */
  errorRate: number;
  /** p95 latency in seconds that alerts (default 1). */
  latencyP95Seconds: number;
  /** Restarts in 15 minutes that alert (default 3). */
  restarts: number;
  /** How long a deployment may run before it counts as stuck, in seconds (default: 1 h, or longer than the canary's pauses). */
  stuckSeconds: number;
  scrapeIntervalSeconds: number;
}

export const MONITORING_DEFAULTS = {
  instanceMetricsPath: '/metrics',
  errorRate: 0.05,
  latencyP95Seconds: 1,
  restarts: 3,
  stuckSeconds: 3600,
  scrapeIntervalSeconds: 15,
} as const;
