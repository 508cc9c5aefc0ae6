import { isSameTarget, unknownTarget } from '../data-plane-errors.ts';
import { PathFilter } from '../proxy/path-filter.ts';
import type { DrainReport, RouteSpec, TargetSpec, TargetState } from '../proxy/proxy-types.ts';
import { ReleaseCounters } from '../proxy/release-counters.ts';
import { type LogRecord, slotWeights } from './haproxy-commands.ts';
import { EMPTY_SLOT, type SlotConfig } from './haproxy-config.ts';
import { backendName } from './haproxy-names.ts';

export interface HaTarget {
  spec: TargetSpec;
  healthy: boolean;
  draining: boolean;
  inFlight: number;
  requests: number;
  drain: Promise<DrainReport> | null;
  requestsDrained: PromiseWithResolvers<void>;
}

export interface Slot {
  target: HaTarget | null;
  /** The release the slot last served: a log line that arrives after its target left still counts there. */
  lastRelease: string | null;
  /** When the slot was last emptied (epoch ms): the longest empty one is reused first. */
  freedAtMs: number;
  /** What HAProxy has; null when unknown (after a restart, a failed batch). */
  applied: SlotConfig | null;
}

/**
 * One service's HAProxy backend as the agent keeps it: its server slots and who holds each, the
 * release weights, and the per-release counters fed by HAProxy's request log. Only state: talking
 * to HAProxy is the data plane's.
 */
export class HaproxyBackend {
  spec: RouteSpec;
  readonly backend: string;
  readonly slots: Slot[];
  weights: Record<string, number> | null = null;
  metricsFilter: PathFilter | null = null;
  readonly counters = new Map<string, ReleaseCounters>();
  readonly retiredAtMs = new Map<string, number>();

  constructor(spec: RouteSpec, slotCount: number) {
    this.spec = spec;
    this.backend = backendName(spec.service);
    this.slots = Array.from({ length: slotCount }, () => ({ target: null, lastRelease: null, freedAtMs: 0, applied: null }));
  }

  setSpec(spec: RouteSpec): void {
    this.spec = spec;
    this.metricsFilter = PathFilter.of(spec.metricsPaths);
  }

  find(id: string): Slot | undefined {
    return this.slots.find((slot) => slot.target?.spec.id === id);
  }

  get(id: string): Slot {
    const slot = this.find(id);
    if (!slot) throw unknownTarget(this.spec.service, id);
    return slot;
  }

  /**
   * Puts a new target in the slot empty the longest; false when the same target is already there
   * (nothing to do), undefined when no slot is free.
   */
  add(spec: TargetSpec): boolean | undefined {
    const existing = this.find(spec.id)?.target;
    if (existing && isSameTarget(this.spec.service, { ...existing.spec, draining: existing.draining }, spec)) return false;
    const free = this.slots.filter((slot) => slot.target === null).sort((a, b) => a.freedAtMs - b.freedAtMs)[0];
    if (free === undefined) return undefined;
    free.target = {
      spec: { ...spec },
      healthy: true,
      draining: false,
      inFlight: 0,
      requests: 0,
      drain: null,
      requestsDrained: Promise.withResolvers<void>(),
    };
    free.lastRelease = spec.release;
    this.retiredAtMs.delete(spec.release);
    return true;
  }

  /** Empties the slot of a drained target; its release's counters are kept for a while once no slot serves it. */
  free(slot: Slot, retiredCountersKeepMs: number): void {
    const release = slot.target?.spec.release;
    slot.target = null;
    slot.freedAtMs = Date.now();
    if (release !== undefined && !this.slots.some((s) => s.target?.spec.release === release)) this.retiredAtMs.set(release, Date.now());
    this.forgetRetired(retiredCountersKeepMs);
  }

  targets(): TargetState[] {
    return this.slots.flatMap(({ target }) =>
      target === null
        ? []
        : [
            {
              id: target.spec.id,
              release: target.spec.release,
              healthy: target.healthy,
              draining: target.draining,
              inFlight: target.inFlight,
              websockets: 0,
              requests: target.requests,
              ejectedUntil: null,
            },
          ],
    );
  }

  /** Each slot as HAProxy should have it now. */
  wanted(): SlotConfig[] {
    const weights = slotWeights(
      this.slots.map((slot) => ({
        release: slot.target?.spec.release ?? '',
        eligible: slot.target?.healthy === true && !slot.target.draining,
      })),
      this.weights,
    );
    return this.slots.map((slot, index) => {
      const target = slot.target;
      if (target === null) return slot.applied === null ? EMPTY_SLOT : { ...slot.applied, state: 'maint' };
      const eligible = target.healthy && !target.draining;
      // A slot out of selection keeps its last weight: only its state changes.
      const weight = eligible ? weights[index] : (slot.applied?.weight ?? 1);
      return { host: target.spec.host, port: target.spec.port, state: eligible ? 'ready' : 'drain', weight };
    });
  }

  /** Counts one logged request for the release its slot serves (or last served). */
  count(request: LogRecord, slot: Slot | undefined): void {
    const release = slot?.target?.spec.release ?? slot?.lastRelease;
    if (!release || request.status <= 0) return;
    if (this.metricsFilter !== null && !this.metricsFilter.counts(request.path)) return;
    let counters = this.counters.get(release);
    if (counters === undefined) {
      counters = new ReleaseCounters();
      this.counters.set(release, counters);
    }
    counters.record(request.status, request.latencyMs, Date.now(), request.proxyError, request.timedOut);
  }

  /** Drops the counters of releases retired longer than `keepMs` ago that have no weight. */
  forgetRetired(keepMs: number): void {
    const nowMs = Date.now();
    for (const [release, atMs] of this.retiredAtMs) {
      if (nowMs - atMs < keepMs || (this.weights?.[release] ?? 0) > 0) continue;
      this.retiredAtMs.delete(release);
      this.counters.delete(release);
    }
  }
}
