import { userInfo } from 'node:os';
import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { markInterrupted } from '../controller/deployment-state.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { DeploymentSignals, type SignalKind, type SignalRecord } from '../store/deployment-signals.ts';
import { type DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';
import type { CommandContext } from './command.ts';

/** How long promote and abort wait for the running deployment to act on them. */
export const SIGNAL_ANSWER_TIMEOUT_MS = 15_000;
const SIGNAL_ANSWER_POLL_MS = 50;

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
    const verb = kind === 'abort' ? 'abort' : 'promote';
    const strategy = running.facts.strategy as string | undefined;
    const rollout = running.steps.find((step) => step.name === 'rollout');
    if (kind === 'abort' && rollout?.endedAt && rollout.outcome === 'failed')
      return { sent: false, deployment: running, why: `the rollout of deployment ${running.id} already ended: ${rollout.reason}` };
    // A rolling deploy takes an abort (back to the previous release through the health-gated switch), not a promote.
    if ((strategy === 'rolling' && kind !== 'abort') || rollout?.endedAt) {
      throw new CutoverError(
        'CUT_ERR_DEPLOY_SIGNAL_REFUSED',
        strategy === 'rolling' && kind !== 'abort'
          ? `deployment ${running.id} is a rolling deploy, which has no steps to ${verb}`
          : `the rollout of deployment ${running.id} is over (${rollout?.outcome}); there is nothing left to ${verb}`,
        { hint: 'watch it with "cutover status"; once it ends, "cutover rollback" goes back to the previous release' },
      );
    }
    const signals = new DeploymentSignals(store.db);
    const id = signals.send(running.id, kind, process.env.CUTOVER_ACTOR ?? userInfo().username);
    const deadline = Date.now() + SIGNAL_ANSWER_TIMEOUT_MS;
    let signal = signals.get(id) as SignalRecord;
    while (signal.handledAt === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, SIGNAL_ANSWER_POLL_MS));
      signal = signals.get(id) as SignalRecord;
    }
    return { sent: true, deployment: store.deployment(running.id) ?? running, signal };
  } finally {
    store.close();
  }
}
