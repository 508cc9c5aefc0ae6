/**
 * Thrown by the fencing check when a deployment no longer holds its deploy lock (its lease expired,
 * or another deployment took it): the deployment stops before its next side effect and is
 * recorded as interrupted. It is not a failure of the release, so nothing is restored: whoever
 * holds the lock now owns the service.
 */
export class LeaseLostError extends Error {
  readonly deploymentId: number;

  constructor(deploymentId: number, lockName: string) {
    super(`deployment ${deploymentId} lost its deploy lock (${lockName}) and stopped before its next step`);
    this.name = 'LeaseLostError';
    this.deploymentId = deploymentId;
  }
}

export function isLeaseLost(error: unknown): error is LeaseLostError {
  return error instanceof LeaseLostError;
}
