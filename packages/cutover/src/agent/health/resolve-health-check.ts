import * as D from '../../config/defaults.ts';
import type { HealthCheckConfig } from '../../config/schema.ts';

/** How long a portless process must stay up to count as healthy when it has no health config (as in cutover.yml). */
export const DEFAULT_PROCESS_UP_FOR_MS = 1000;

const DEFAULT_TIMING = {
  intervalMs: D.DEFAULT_HEALTH_INTERVAL_MS,
  timeoutMs: D.DEFAULT_HEALTH_TIMEOUT_MS,
  healthyThreshold: D.DEFAULT_HEALTHY_THRESHOLD,
  unhealthyThreshold: D.DEFAULT_UNHEALTHY_THRESHOLD,
  startTimeoutMs: D.DEFAULT_START_TIMEOUT_MS,
  upForMs: DEFAULT_PROCESS_UP_FOR_MS,
} as const;

/**
 * The check actually run for an instance: the configured one, or, when none is configured, a TCP
 * connect for a process with a port and "stays up" for one without.
 */
export function resolveHealthCheck(health: HealthCheckConfig | undefined, hasPort: boolean): HealthCheckConfig {
  if (health) return health;
  return hasPort
    ? { type: 'tcp', ...DEFAULT_TIMING, startIntervalMs: D.defaultStartIntervalMs('tcp') }
    : { type: 'process', ...DEFAULT_TIMING, startIntervalMs: D.defaultStartIntervalMs('process') };
}
