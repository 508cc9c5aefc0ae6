import type { CountersSnapshot, DrainReport, LatencySample, RouteSpec } from '../agent/proxy/proxy-server.ts';

/** Sets routes and weights and drains (the agent's proxy on one host; a Kubernetes route later). */
export interface TrafficRouter {
  setRoute(spec: RouteSpec): Promise<unknown>;
  setWeights(service: string, weights: Record<string, number> | null): Promise<unknown>;
  /** The release weights in force (null: traffic spread over every healthy instance). */
  weights(service: string): Promise<Record<string, number> | null>;
  unroute(id: string): Promise<DrainReport | null>;
  counters(service: string): Promise<{ counters: Record<string, CountersSnapshot> }>;
  /** One release's counters (null when never routed to) and its samples finished at or after sinceMs. */
  samples(service: string, release: string, sinceMs: number): Promise<{ counters: CountersSnapshot | null; samples: LatencySample[] }>;
}
