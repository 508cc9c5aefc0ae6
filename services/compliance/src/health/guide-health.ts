import { loadavg } from 'node:os';
import type { CheckReading, ReadinessCheck } from '@cutover/service-kit';

/** Memory use (of the heap limit) above which the memory component warns: the guide's alert line. */
export const MEMORY_WARN_RATIO = 0.85;
/** One-minute load average per core above which the cpu component warns. */
export const CPU_WARN_LOAD_PER_CORE = 1.5;

type GuideStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface GuideHealthBody {
  status: GuideStatus;
  timestamp: string;
  version: string;
  uptime: number;
  components?: Record<string, Record<string, string>>;
}

const STATUS: Record<CheckReading['status'], GuideStatus> = { pass: 'healthy', warn: 'degraded', fail: 'unhealthy' };

/** Memory as a readiness component: heap used over the heap limit (non-critical: it warns, never fails). */
export function memoryCheck(heapLimitBytes: number): ReadinessCheck {
  return {
    name: 'memory',
    componentType: 'system',
    critical: false,
    check() {
      const ratio = process.memoryUsage().heapUsed / heapLimitBytes;
      return { status: ratio > MEMORY_WARN_RATIO ? 'warn' : 'pass', observedValue: Math.round(ratio * 100), observedUnit: '%' };
    },
  };
}

/** CPU as a readiness component: the one-minute load average per core (non-critical). */
export function cpuCheck(cores: number): ReadinessCheck {
  return {
    name: 'cpu',
    componentType: 'system',
    critical: false,
    check() {
      const load = loadavg()[0] / Math.max(1, cores);
      return { status: load > CPU_WARN_LOAD_PER_CORE ? 'warn' : 'pass', observedValue: Math.round(load * 100) / 100, observedUnit: 'load' };
    },
  };
}

const COMPONENT_NAMES: Record<string, string> = { postgres: 'database', redis: 'redis', memory: 'memory', cpu: 'cpu' };

/**
 * The readiness body of the deployment guide: status, timestamp, version, uptime and, with
 * DETAILED_HEALTH_CHECKS, each component (database, redis with their latency, memory use, cpu
 * load). Not ready (starting or draining) is `unhealthy` with no components.
 */
export function buildGuideHealth(input: {
  ready: boolean;
  readings: readonly CheckReading[];
  version: string;
  uptimeSeconds: number;
  detailed: boolean;
  now: Date;
}): { statusCode: 200 | 503; body: GuideHealthBody } {
  let status: GuideStatus = input.ready ? 'healthy' : 'unhealthy';
  for (const reading of input.readings) {
    const effective = reading.status === 'fail' && !reading.critical ? 'warn' : reading.status;
    if (effective === 'fail') status = 'unhealthy';
    else if (effective === 'warn' && status === 'healthy') status = 'degraded';
  }
  const body: GuideHealthBody = {
    status,
    timestamp: input.now.toISOString(),
    version: input.version,
    uptime: Math.floor(input.uptimeSeconds),
  };
  if (input.detailed && input.ready) {
    body.components = {};
    for (const reading of input.readings) {
      const name = COMPONENT_NAMES[reading.name] ?? reading.name;
      const entry: Record<string, string> = { status: STATUS[reading.status] };
      if (reading.name === 'memory') entry.used = `${reading.observedValue}%`;
      else if (reading.name === 'cpu') entry.load = String(reading.observedValue);
      else entry.latency = `${Math.round(reading.latencyMs)}ms`;
      if (reading.output) entry.output = reading.output;
      body.components[name] = entry;
    }
  }
  return { statusCode: status === 'unhealthy' ? 503 : 200, body };
}
