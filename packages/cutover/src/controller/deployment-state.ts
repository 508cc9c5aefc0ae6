import { hostname } from 'node:os';
import { isPidAlive } from '../shared/process-group.ts';
import type { DeploymentStore } from '../store/deployment-store.ts';
import { DeployLock, isStale } from './deploy-lock.ts';

export function deployLockName(service: string): string {
  return `deploy:${service}`;
}

/** The release most routed instances run (in platform/: the dashboard, which imports no controller code, uses it too). */
export { currentRelease } from '../platform/current-release.ts';

/**
 * Deployments recorded as 'running' whose process is gone (no live lock holder runs them): the ids,
 * with why. Those the controller runs (recorded with a submission) are left alone: a restarted
 * controller runs them on. Reads only, so read-only verbs (status, history) can show the truth
 * without writing it.
 */
export function findInterrupted(store: DeploymentStore, service: string): Map<number, string> {
  const holder = new DeployLock(store).holder(deployLockName(service));
  const found = new Map<number, string>();
  for (const deployment of store.runningDeployments(service)) {
    const submission = store.submission(deployment.id);
    if (submission !== null && submission.inProcess !== true) continue;
    const holderAlive = holder && holder.deploymentId === deployment.id && !isStale(holder, Date.now());
    const sameHostDead = deployment.host === hostname() && !isPidAlive(deployment.pid);
    if (!holderAlive && (sameHostDead || !holder || holder.deploymentId !== deployment.id)) {
      found.set(deployment.id, `the process running it (pid ${deployment.pid} on ${deployment.host}) stopped before it finished`);
    }
  }
  return found;
}

/** Deployments left 'running' by a process that died are marked interrupted, so records stay truthful. */
export function markInterrupted(store: DeploymentStore, service: string): number[] {
  const found = findInterrupted(store, service);
  for (const [id, reason] of found) store.finishDeployment(id, 'interrupted', reason);
  return [...found.keys()];
}
