/**
 * Health state machine of one running process, kept pure: callers feed it probe results and the
 * clock, and act on the transitions it returns. Time is a number passed in, so tests need no timers.
 *
 * States:
 *   starting   spawned, not proven yet; probed every startIntervalMs.
 *   healthy    passed healthyThreshold consecutive probes; probed every intervalMs.
 *   unhealthy  was healthy, then failed unhealthyThreshold consecutive probes; probed every intervalMs.
 *   failed     did not become healthy within startTimeoutMs; terminal (the caller stops the process).
 *
 * Transitions:
 *   starting  → healthy    healthyThreshold consecutive successes
 *   starting  → failed     startTimeoutMs elapsed without reaching healthy
 *   healthy   → unhealthy  unhealthyThreshold consecutive failures
 *   unhealthy → healthy    healthyThreshold consecutive successes
 *
 * Failed probes while starting never count toward `unhealthy`: a booting app refusing connections
 * is normal, only the start deadline judges it. A success that completes the threshold wins over an
 * expired deadline, because that probe was already in flight before the deadline and the app is ready.
 */
import type { HealthCheckConfig } from '../../config/schema.ts';

export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'failed';

export type HealthTiming = Pick<
  HealthCheckConfig,
  'intervalMs' | 'startIntervalMs' | 'timeoutMs' | 'healthyThreshold' | 'unhealthyThreshold' | 'startTimeoutMs'
>;

/** The outcome of one probe: `detail` says what was seen ("HTTP 200", "connect ECONNREFUSED"). */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface HealthSnapshot {
  state: HealthState;
  startedAtMs: number;
  /** Consecutive successes since the last failure. */
  successes: number;
  /** Consecutive failures since the last success. */
  failures: number;
  probes: number;
  lastProbe: (ProbeResult & { atMs: number }) | null;
}

export interface HealthTransition {
  from: HealthState;
  to: HealthState;
  reason: string;
  atMs: number;
}

export interface HealthStep {
  health: HealthSnapshot;
  transition: HealthTransition | null;
}

export function initialHealth(startedAtMs: number): HealthSnapshot {
  return { state: 'starting', startedAtMs, successes: 0, failures: 0, probes: 0, lastProbe: null };
}

export function applyProbeResult(health: HealthSnapshot, timing: HealthTiming, result: ProbeResult, nowMs: number): HealthStep {
  if (health.state === 'failed') return { health, transition: null };
  const counted: HealthSnapshot = {
    ...health,
    probes: health.probes + 1,
    successes: result.ok ? health.successes + 1 : 0,
    failures: result.ok ? 0 : health.failures + 1,
    lastProbe: { ...result, atMs: nowMs },
  };
  if (health.state !== 'healthy' && counted.successes >= timing.healthyThreshold) {
    return moveTo(counted, 'healthy', `${plural(counted.successes, 'consecutive probe')} passed (last: ${result.detail})`, nowMs);
  }
  if (health.state === 'healthy' && counted.failures >= timing.unhealthyThreshold) {
    return moveTo(counted, 'unhealthy', `${plural(counted.failures, 'consecutive probe')} failed (last: ${result.detail})`, nowMs);
  }
  return applyClock(counted, timing, nowMs);
}

/** Checks the start deadline; call it when the deadline timer fires. */
export function applyClock(health: HealthSnapshot, timing: HealthTiming, nowMs: number): HealthStep {
  const deadline = startDeadlineMs(health, timing);
  if (deadline === null || nowMs < deadline) return { health, transition: null };
  const last = health.lastProbe ? `last: ${health.lastProbe.detail}` : 'no probe finished';
  const reason = `not healthy within ${timing.startTimeoutMs} ms (${plural(health.probes, 'probe')}; ${last})`;
  return moveTo(health, 'failed', reason, nowMs);
}

/** When the start deadline falls, or null once the instance has left `starting`. */
export function startDeadlineMs(health: HealthSnapshot, timing: HealthTiming): number | null {
  return health.state === 'starting' ? health.startedAtMs + timing.startTimeoutMs : null;
}

/** Pause before the next probe, or null when probing is over. */
export function nextProbeDelayMs(health: HealthSnapshot, timing: HealthTiming): number | null {
  if (health.state === 'failed') return null;
  return health.state === 'starting' ? timing.startIntervalMs : timing.intervalMs;
}

function moveTo(health: HealthSnapshot, to: HealthState, reason: string, atMs: number): HealthStep {
  return { health: { ...health, state: to }, transition: { from: health.state, to, reason, atMs } };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
