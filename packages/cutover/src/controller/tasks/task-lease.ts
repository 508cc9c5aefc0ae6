import type { DeploymentStore } from '../../store/deployment-store.ts';
import { DeployLock, type LockAttempt } from '../deploy-lock.ts';

/**
 * The lease that makes one scheduler per service: the controller's task host and `cutover tasks
 * serve` both take it (the deploy lock's lease table in cutover.db), so the two can never both
 * schedule the same tasks. A holder that dies frees it (no heartbeat, or its pid gone on this host).
 */
export function taskLeaseName(service: string): string {
  return `tasks:${service}`;
}

/** Tries to take the task lease of `service`. */
export function acquireTaskLease(store: Pick<DeploymentStore, 'db'>, service: string): LockAttempt {
  return new DeployLock(store).acquire(taskLeaseName(service));
}
