import type { AgentPaths } from '../agent/agent-paths.ts';
import type { AgentState } from '../platform/agent-client.ts';
import type { DeploymentStore } from '../store/deployment-store.ts';

/** What a rollback started from the dashboard hands the controller (the same shape "cutover rollback" submits). */
export interface DashboardSubmission {
  configFile: string;
  configText: string;
  release: string;
  kind: 'rollback';
  actor: string;
  reason?: string;
  skipChecks: { name: string; reason: string }[];
}

/** A deployment outcome as the controller's deployment events tell it. */
export interface DashboardDeploymentEvent {
  deploymentId: number;
  service: string;
  release: string;
  kind: 'deploy' | 'rollback';
  at: number;
  reason?: string;
}

/**
 * What the dashboard and cutover's own metrics need of the controller: its paths, its store, the
 * agent's state, its deployment events and a way to submit a rollback. Declared here (not imported
 * from the controller) so that the dependency points one way: the controller composes the dashboard.
 */
export interface DashboardContext {
  paths: AgentPaths;
  store: DeploymentStore;
  agent: { state(service?: string): Promise<AgentState> };
  events: { onAny(listener: (name: string, payload: DashboardDeploymentEvent) => void): () => void };
  deployments: { submit(submission: DashboardSubmission): Promise<number> };
}
