import type { LifecycleState } from '../service-lifecycle.ts';
import type { CheckReading, HealthStatus } from './readiness-check.ts';

export const HEALTH_CONTENT_TYPE = 'application/health+json';

export type ProbeKind = 'live' | 'ready' | 'startup';

const PROBE_DESCRIPTIONS: Record<ProbeKind, string> = { live: 'liveness', ready: 'readiness', startup: 'startup' };

export interface HealthResponseInput {
  kind: ProbeKind;
  serviceId: string;
  version?: string;
  releaseId?: string;
  lifecycle: LifecycleState;
  /** True once the service has been ready at least once. */
  hasStarted: boolean;
  /** Dependency readings (only used for `ready`). */
  readings: readonly CheckReading[];
  uptimeSeconds: number;
  now: Date;
}

/** One element of a `checks` array, as in draft-inadarei-api-health-check. */
export interface HealthCheckEntry {
  componentType: string;
  observedValue?: unknown;
  observedUnit?: string;
  status: HealthStatus;
  time: string;
  output?: string;
}

export interface HealthBody {
  status: HealthStatus;
  serviceId: string;
  version?: string;
  releaseId?: string;
  description: string;
  output?: string;
  notes?: string[];
  checks: Record<string, HealthCheckEntry[]>;
}

export interface HealthResponse {
  statusCode: 200 | 503;
  body: HealthBody;
}

/** pass/warn answer 200, fail answers 503 (the draft: 2xx-3xx for pass/warn, 4xx-5xx for fail). */
export function httpStatusFor(status: HealthStatus): 200 | 503 {
  return status === 'fail' ? 503 : 200;
}

/** Worst status of the readings; a failing non-critical check only warns. */
export function aggregateStatus(readings: readonly CheckReading[]): HealthStatus {
  let status: HealthStatus = 'pass';
  for (const reading of readings) {
    const effective = reading.status === 'fail' && !reading.critical ? 'warn' : reading.status;
    if (effective === 'fail') return 'fail';
    if (effective === 'warn') status = 'warn';
  }
  return status;
}

function readingEntry(reading: CheckReading): HealthCheckEntry {
  const entry: HealthCheckEntry = {
    componentType: reading.componentType,
    observedValue: reading.latencyMs,
    observedUnit: 'ms',
    status: reading.status,
    time: reading.time,
  };
  if (reading.output !== undefined) entry.output = reading.output;
  return entry;
}

/**
 * The health document and HTTP status for one probe. Liveness looks at the process only;
 * readiness fails whenever the service is not in `ready` (starting, draining) without touching
 * dependencies, and otherwise reports each dependency as `<name>:responseTime`.
 */
export function buildHealthResponse(input: HealthResponseInput): HealthResponse {
  const time = input.now.toISOString();
  const checks: Record<string, HealthCheckEntry[]> = {
    uptime: [
      { componentType: 'system', observedValue: Math.round(input.uptimeSeconds * 1000) / 1000, observedUnit: 's', status: 'pass', time },
    ],
  };
  let status: HealthStatus = 'pass';
  let output: string | undefined;
  if (input.kind === 'startup') {
    status = input.hasStarted ? 'pass' : 'fail';
    if (!input.hasStarted) output = 'service is starting';
  } else if (input.kind === 'ready') {
    const lifecycleOk = input.lifecycle === 'ready';
    checks['service:lifecycle'] = [
      { componentType: 'system', observedValue: input.lifecycle, status: lifecycleOk ? 'pass' : 'fail', time },
    ];
    if (!lifecycleOk) {
      status = 'fail';
      output = input.lifecycle === 'starting' ? 'service is starting' : 'service is shutting down';
    } else {
      for (const reading of input.readings) checks[`${reading.name}:responseTime`] = [readingEntry(reading)];
      status = aggregateStatus(input.readings);
      const failing = input.readings.filter((reading) => reading.status !== 'pass');
      if (status !== 'pass') output = failing.map((reading) => `${reading.name}: ${reading.output ?? reading.status}`).join('; ');
    }
  }
  const body: HealthBody = {
    status,
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.releaseId !== undefined ? { releaseId: input.releaseId } : {}),
    serviceId: input.serviceId,
    description: `${input.serviceId} ${PROBE_DESCRIPTIONS[input.kind]}`,
    ...(output !== undefined ? { output } : {}),
    checks,
  };
  return { statusCode: httpStatusFor(status), body };
}
