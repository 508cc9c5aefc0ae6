import type { StopReport } from '../agent/instance-routing.ts';
import type { InstanceInfo, InstanceSpec } from '../agent/supervisor/process-supervisor.ts';
import type { AgentInstance, WaitHealthyOutcome } from './agent-client.ts';

/** Starts, stops and lists instances of a release (the agent's supervisor on one host; Kubernetes later). */
export interface WorkloadBackend {
  instances(service: string): Promise<AgentInstance[]>;
  /** With route=true the instance joins the traffic pool the moment its health check passes. */
  startInstance(spec: InstanceSpec, route: boolean): Promise<InstanceInfo>;
  waitHealthy(id: string, timeoutMs: number): Promise<WaitHealthyOutcome>;
  /** Drains (if routed) then stops. */
  stopInstance(id: string, timeoutMs?: number): Promise<StopReport>;
}
