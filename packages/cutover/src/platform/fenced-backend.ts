import type { TrafficRouter } from './traffic-router.ts';
import type { WorkloadBackend } from './workload-backend.ts';

/**
 * The backend with a fencing check before every call that changes something (start, stop, route,
 * weights, drain): `fence` throws once the deployment lost its deploy lock, so a deployment that
 * another one has overtaken stops before its next side effect. Reads pass through.
 */
export function fencedBackend<B extends WorkloadBackend & TrafficRouter>(backend: B, fence: () => void): B {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      fence();
      return call(...args);
    };
  return {
    ...backend,
    startInstance: guard(backend.startInstance),
    stopInstance: guard(backend.stopInstance),
    settle: guard(backend.settle),
    setRoute: guard(backend.setRoute),
    setWeights: guard(backend.setWeights),
    unroute: guard(backend.unroute),
  };
}
