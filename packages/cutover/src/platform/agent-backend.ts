import type { AgentClient } from './agent-client.ts';
import type { TrafficRouter } from './traffic-router.ts';
import type { WorkloadBackend } from './workload-backend.ts';

/** The single-host implementation of both interfaces: the agent's admin API. */
export function agentBackend(client: AgentClient): WorkloadBackend & TrafficRouter {
  return {
    instances: async (service) => (await client.state(service)).instances,
    startInstance: (spec, route, rollout) => client.startInstance(spec, route, rollout),
    settle: (id) => client.settle(id),
    waitHealthy: (id, timeoutMs) => client.waitHealthy(id, timeoutMs),
    stopInstance: (id, timeoutMs) => client.stopInstance(id, timeoutMs),
    setRoute: (spec) => client.setRoute(spec),
    setWeights: (service, weights) => client.setWeights(service, weights),
    weights: async (service) => (await client.state(service)).services.find((s) => s.route.service === service)?.weights ?? null,
    unroute: (id) => client.unroute(id),
    counters: (service) => client.counters(service),
    samples: (service, release, sinceMs) => client.samples(service, release, sinceMs),
  };
}
