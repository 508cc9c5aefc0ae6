import type { CountersSnapshot, DrainReport, LatencySample, RouteSpec, TargetSpec, TargetState } from './proxy/proxy-types.ts';

/** Which program forwards the traffic (cutover.yml `proxy.dataPlane`). */
export type DataPlaneKind = 'node' | 'haproxy';

/**
 * What the agent drives to move traffic: the built-in Node proxy (`ProxyServer`) or HAProxy over its
 * runtime API (`HaproxyDataPlane`). Instance routing adds a target only once its instance is
 * healthy; the data plane never probes instances itself. Setters take effect for the next request
 * (the Node proxy at once, HAProxy as soon as its runtime API has the command); `removeTarget`
 * resolves once the target is drained.
 */
export interface DataPlane {
  readonly kind: DataPlaneKind;
  listen(): Promise<{ httpPort: number; httpsPort?: number }>;
  /** Stops accepting connections, drains every target, then stops. */
  close(): Promise<void>;
  setRoute(spec: RouteSpec): void | Promise<void>;
  removeRoute(service: string): Promise<void>;
  addTarget(service: string, target: TargetSpec): void;
  removeTarget(service: string, id: string): Promise<DrainReport>;
  /** Resolves once a draining target has no HTTP request in flight (at once for an unknown target). */
  requestsDrained(service: string, id: string): Promise<void>;
  setTargetHealthy(service: string, id: string, healthy: boolean): void;
  /** Share of new requests per release (0-100); null spreads over all healthy targets. */
  setReleaseWeights(service: string, weights: Record<string, number> | null): void;
  releaseWeights(service: string): Record<string, number> | null;
  /**
   * Resolves once the program that forwards has every change made so far (the Node proxy at once;
   * HAProxy once its runtime API took the commands), so that a caller told "weights set" can rely
   * on the next request; rejects when HAProxy refused them.
   */
  applied(): Promise<void>;
  routes(): RouteSpec[];
  targets(service: string): TargetState[];
  counters(service: string): Record<string, CountersSnapshot>;
  /** Recent samples of one release (oldest first) finished at or after `sinceMs` (epoch ms). */
  samples(service: string, release: string, sinceMs?: number): LatencySample[];
}
