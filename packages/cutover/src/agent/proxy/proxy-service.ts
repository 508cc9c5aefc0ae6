import { isSameTarget, unknownTarget } from '../data-plane-errors.ts';
import { LoadBalancer } from './load-balancer.ts';
import { PathFilter } from './path-filter.ts';
import type {
  CountersSnapshot,
  DrainReport,
  LatencySample,
  RouteSpec,
  TargetEjectedEvent,
  TargetSpec,
  TargetState,
} from './proxy-types.ts';
import { ReleaseAffinity } from './release-affinity.ts';
import { ReleaseCounters } from './release-counters.ts';
import { normalizePathPrefix } from './router.ts';
import { Target } from './target.ts';

/** Upstream timeouts of a route; the defaults are nginx's (proxy_connect_timeout, proxy_read_timeout). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface UpstreamTimeouts {
  connectMs: number;
  responseMs: number;
  idleMs: number;
}

function timeoutsOf(spec: RouteSpec): UpstreamTimeouts {
  return {
    connectMs: spec.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    responseMs: spec.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS,
    idleMs: spec.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  };
}

/**
 * How long the counters of a release that has no target left and no weight are kept (default
 * 10 min): long enough for a record or an analysis to read them after a drain, short enough that a
 * long-lived agent does not keep (and export) every release it ever served.
 */
export const RETIRED_COUNTERS_KEEP_MS = 10 * 60_000;

/** One routed service: its route, its targets (draining ones included until drained) and per-release counters. */
export class ProxyService {
  readonly name: string;
  spec: RouteSpec;
  /** The normalized path prefix (`/api/` → `/api`), for stripPrefix. */
  prefix: string;
  readonly targets: Target[] = [];
  readonly balancer = new LoadBalancer<Target>();
  /** Sticky and forced release choice; null when the route configures neither (the plain path). */
  affinity: ReleaseAffinity | null;
  /** Upstream timeouts, resolved once per route change. */
  timeouts: UpstreamTimeouts;
  /** Which paths count in the counters; null when the route has no filter (everything counts). */
  metricsFilter: PathFilter | null;
  readonly #byId = new Map<string, Target>();
  readonly #counters = new Map<string, ReleaseCounters>();
  /** When each release lost its last target (epoch ms); its counters go RETIRED_COUNTERS_KEEP_MS later. */
  readonly #retiredAtMs = new Map<string, number>();
  readonly #retiredKeepMs: number;
  readonly #onEjected: (event: TargetEjectedEvent) => void;

  constructor(spec: RouteSpec, onEjected: (event: TargetEjectedEvent) => void, retiredKeepMs = RETIRED_COUNTERS_KEEP_MS) {
    this.#retiredKeepMs = retiredKeepMs;
    this.name = spec.service;
    this.spec = spec;
    this.prefix = normalizePathPrefix(spec.pathPrefix, spec.service);
    this.affinity = ReleaseAffinity.of(spec);
    this.timeouts = timeoutsOf(spec);
    this.metricsFilter = PathFilter.of(spec.metricsPaths);
    this.#onEjected = onEjected;
  }

  update(spec: RouteSpec): void {
    this.prefix = normalizePathPrefix(spec.pathPrefix, spec.service);
    this.affinity = ReleaseAffinity.of(spec);
    this.timeouts = timeoutsOf(spec);
    this.metricsFilter = PathFilter.of(spec.metricsPaths);
    this.spec = spec;
  }

  pick(exclude: Target | null): Target | null {
    return this.balancer.pick(this.targets, Date.now(), exclude);
  }

  /** A retry's target: another one of the pinned release when there is one, else any. */
  pickRetry(exclude: Target, pinnedRelease: string | null): Target | null {
    const nowMs = Date.now();
    const pinned = pinnedRelease === null ? null : this.balancer.pickInRelease(this.targets, nowMs, pinnedRelease, exclude);
    return pinned ?? this.balancer.pick(this.targets, nowMs, exclude);
  }

  add(spec: TargetSpec): void {
    const existing = this.#byId.get(spec.id);
    if (existing && isSameTarget(this.name, existing, spec)) return;
    const target = new Target(spec);
    this.#byId.set(spec.id, target);
    this.targets.push(target);
    this.#retiredAtMs.delete(spec.release);
    this.#forgetRetired(Date.now());
  }

  /** Out of selection synchronously; forgotten once drained. */
  async remove(id: string): Promise<DrainReport> {
    const target = this.get(id);
    const report = await target.drain(this.spec.drainTimeoutMs, this.spec.websocketGraceMs);
    if (this.#byId.get(id) === target) {
      this.#byId.delete(id);
      this.targets.splice(this.targets.indexOf(target), 1);
      if (!this.targets.some((other) => other.release === target.release)) this.#retiredAtMs.set(target.release, Date.now());
      this.#forgetRetired(Date.now());
    }
    return report;
  }

  find(id: string): Target | undefined {
    return this.#byId.get(id);
  }

  get(id: string): Target {
    const target = this.#byId.get(id);
    if (!target) throw unknownTarget(this.name, id);
    return target;
  }

  states(): TargetState[] {
    const nowMs = Date.now();
    return this.targets.map((target) => target.state(nowMs));
  }

  /** A failure talking to a target; ejects it at once (`immediate`) or after repeated failures. */
  targetFailed(target: Target, reason: string, immediate: boolean): void {
    if (target.failed(immediate, Date.now())) this.#onEjected({ service: this.name, id: target.id, reason });
  }

  record(release: string, status: number, latencyMs: number, proxyError: boolean, timedOut = false): void {
    let counters = this.#counters.get(release);
    if (counters === undefined) {
      counters = new ReleaseCounters();
      this.#counters.set(release, counters);
    }
    counters.record(status, latencyMs, Date.now(), proxyError, timedOut);
  }

  counters(): Record<string, CountersSnapshot> {
    this.#forgetRetired(Date.now());
    return Object.fromEntries([...this.#counters].map(([release, counters]) => [release, counters.snapshot()]));
  }

  /** Drops the counters of releases retired long enough ago, unless they still have a weight. */
  #forgetRetired(nowMs: number): void {
    for (const [release, atMs] of this.#retiredAtMs) {
      if (nowMs - atMs < this.#retiredKeepMs || this.balancer.isWeighted(release)) continue;
      this.#retiredAtMs.delete(release);
      this.#counters.delete(release);
    }
  }

  /**
   * Finished requests of a release since `sinceMs`, then the ones still in flight (marked `inFlight`,
   * their age so far as latency): a release whose requests hang must not look idle to analysis.
   */
  samples(release: string, sinceMs: number): LatencySample[] {
    const samples = this.#counters.get(release)?.samples(sinceMs) ?? [];
    const nowMs = Date.now();
    const nowPerfMs = performance.now();
    for (const target of this.targets) {
      if (target.release !== release) continue;
      for (const startedMs of target.inFlightStarts())
        samples.push({ atMs: nowMs, latencyMs: nowPerfMs - startedMs, status: 0, inFlight: true });
    }
    return samples;
  }
}
