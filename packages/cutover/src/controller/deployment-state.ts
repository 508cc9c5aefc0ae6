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
 * Deployments left 'running' by a CLI process that died are marked interrupted, so records stay
 * truthful. Those the controller runs are left alone: a restarted controller runs them on.
 */
export function markInterrupted(store: DeploymentStore, service: string): number[] {
  const lock = new DeployLock(store);
  const holder = lock.holder(deployLockName(service));
  const marked: number[] = [];
  for (const deployment of store.runningDeployments(service)) {
    if (store.submission(deployment.id) !== null) continue;
    const holderAlive = holder && holder.deploymentId === deployment.id && !isStale(holder, Date.now());
    const sameHostDead = deployment.host === hostname() && !isPidAlive(deployment.pid);
    if (!holderAlive && (sameHostDead || !holder || holder.deploymentId !== deployment.id)) {
      store.finishDeployment(
        deployment.id,
        'interrupted',
        `the process running it (pid ${deployment.pid} on ${deployment.host}) stopped before it finished`,
      );
      marked.push(deployment.id);
    }
  }
  return marked;
}
