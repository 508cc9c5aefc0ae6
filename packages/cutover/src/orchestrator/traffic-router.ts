import type { CountersSnapshot, DrainReport, RouteSpec } from '../agent/proxy/proxy-server.ts';

/** Sets routes and weights and drains (the agent's proxy on one host; a Kubernetes route later). */
export interface TrafficRouter {
  setRoute(spec: RouteSpec): Promise<unknown>;
  setWeights(service: string, weights: Record<string, number> | null): Promise<unknown>;
  unroute(id: string): Promise<DrainReport | null>;
  counters(service: string): Promise<{ counters: Record<string, CountersSnapshot> }>;
}
