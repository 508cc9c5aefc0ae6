import { hostname } from 'node:os';
import { isPidAlive } from '../shared/process-group.ts';
import type { DeploymentStore } from '../store/deployment-store.ts';
import { DeployLock, isStale } from './deploy-lock.ts';

export function deployLockName(service: string): string {
  return `deploy:${service}`;
}

/** The release most routed instances run: what serves traffic now. */
export function currentRelease(instances: { spec: { release: string }; inPool?: boolean }[]): string | null {
  const counts = new Map<string, number>();
  for (const instance of instances) if (instance.inPool) counts.set(instance.spec.release, (counts.get(instance.spec.release) ?? 0) + 1);
  let best: string | null = null;
  for (const [release, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = release;
  return best;
}

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
