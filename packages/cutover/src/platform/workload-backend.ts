import type { StopReport } from '../agent/instance-routing.ts';
import type { InstanceInfo, InstanceSpec } from '../agent/supervisor/process-supervisor.ts';
import type { AgentInstance, WaitHealthyOutcome } from './agent-client.ts';

/** Starts, stops and lists instances of a release (the agent's supervisor on one host; Kubernetes later). */
export interface WorkloadBackend {
  instances(service: string): Promise<AgentInstance[]>;
  /**
   * With route=true the instance joins the traffic pool the moment its health check passes. With
   * rollout=true it gets no second chance until settle(): a crash, an exit or a lost health check
   * fails it at once (out of the pool, not restarted), so the rollout can act on it.
   */
  startInstance(spec: InstanceSpec, route: boolean, rollout?: boolean): Promise<InstanceInfo>;
  /** The rollout that started the instance succeeded: its restart policy applies from now on. */
  settle(id: string): Promise<void>;
  waitHealthy(id: string, timeoutMs: number): Promise<WaitHealthyOutcome>;
  /** Drains (if routed) then stops. */
  stopInstance(id: string, timeoutMs?: number): Promise<StopReport>;
}
