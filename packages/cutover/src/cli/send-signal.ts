import { userInfo } from 'node:os';
import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { markInterrupted } from '../controller/deployment-state.ts';
import { DeploymentSignals, type SignalKind, type SignalRecord } from '../store/deployment-signals.ts';
import { type DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';
import { refuseSignal } from '../store/signal-refusal.ts';
import type { CommandContext } from './command.ts';

/** How long promote and abort wait for the running deployment to act on them. */
export const SIGNAL_ANSWER_TIMEOUT_MS = 15_000;

export type SignalDelivery =
  | { sent: true; deployment: DeploymentRecord; signal: SignalRecord }
  | { sent: false; deployment: DeploymentRecord | null; why: string };

/**
 * Hands a promote or abort to the deployment running in another `cutover deploy` process (through
 * the shared deployments.db) and waits until it answers, up to SIGNAL_ANSWER_TIMEOUT_MS. Returns
 * `sent: false` only when nothing runs; refuses deployments that cannot act on signals.
 */
export async function sendSignal({ options, cwd }: CommandContext, kind: SignalKind): Promise<SignalDelivery> {
  const loaded = loadConfig(cwd, options.config as string | undefined);
  const service = loaded.config.service;
  const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
  try {
    markInterrupted(store, service);
    const running = store.runningDeployments(service).at(-1);
    if (!running) {
      const [last] = store.deployments(service, 1);
      const why = `no deployment of ${service} is running${last ? ` (the last one, ${last.id}, ended ${last.state})` : ''}`;
      return { sent: false, deployment: last ?? null, why };
    }
    const rollout = running.steps.find((step) => step.name === 'rollout');
    if (kind === 'abort' && rollout?.endedAt && rollout.outcome === 'failed')
      return { sent: false, deployment: running, why: `the rollout of deployment ${running.id} already ended: ${rollout.reason}` };
    refuseSignal(running, kind, 'watch it with "cutover status"; once it ends, "cutover rollback" goes back to the previous release');
    const signals = new DeploymentSignals(store.db);
    const actor = process.env.CUTOVER_ACTOR ?? userInfo().username;
    const signal = await signals.sendAndWait(running.id, kind, actor, SIGNAL_ANSWER_TIMEOUT_MS);
    return { sent: true, deployment: store.deployment(running.id) ?? running, signal };
  } finally {
    store.close();
  }
}
