import { type CheckReading, type ReadinessCheck, runReadinessCheck } from './readiness-check.ts';

/** How long readings are reused, so that many probes (LB, supervisor, k8s) cost one round of checks. */
export const DEFAULT_READINESS_CACHE_TTL_MS = 1_000;

export interface ReadinessProbeOptions {
  /** Reuse readings younger than this; default `DEFAULT_READINESS_CACHE_TTL_MS` (1000). 0 disables. */
  cacheTtlMs?: number;
}

export interface ReadinessProbe {
  readonly checks: readonly ReadinessCheck[];
  /** Readings of all checks (run in parallel); concurrent callers share one run. */
  read(): Promise<CheckReading[]>;
  add(check: ReadinessCheck): void;
}

export function createReadinessProbe(checks: readonly ReadinessCheck[] = [], options: ReadinessProbeOptions = {}): ReadinessProbe {
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_READINESS_CACHE_TTL_MS;
  const all = [...checks];
  let inFlight: Promise<CheckReading[]> | undefined;
  let cached: { at: number; readings: CheckReading[] } | undefined;
  return {
    checks: all,
    add(check) {
      all.push(check);
      cached = undefined;
    },
    read() {
      if (cached && performance.now() - cached.at < cacheTtlMs) return Promise.resolve(cached.readings);
      inFlight ??= Promise.all(all.map(runReadinessCheck)).then((readings) => {
        cached = { at: performance.now(), readings };
        inFlight = undefined;
        return readings;
      });
      return inFlight;
    },
  };
}
