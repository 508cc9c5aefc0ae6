import type { CheckOutcome } from '../../checks/check-result.ts';
import type { WorkloadBackend } from '../../platform/workload-backend.ts';

/** Pre-deploy check: every instance taking traffic is healthy (a first deploy has none, which passes). */
export async function currentReleaseHealth(backend: WorkloadBackend, service: string): Promise<CheckOutcome> {
  const routed = (await backend.instances(service)).filter((i) => i.inPool);
  const sick = routed.filter((i) => i.state !== 'healthy');
  if (routed.length === 0) return { outcome: 'pass', message: 'nothing serves yet (first deploy)', measured: 0 };
  if (sick.length > 0) {
    return {
      outcome: 'fail',
      message: `${sick.length} of ${routed.length} serving instances are not healthy (${sick.map((i) => `${i.spec.id}: ${i.state}`).join(', ')}); fix them or skip this check with a reason`,
      measured: routed.length - sick.length,
      threshold: routed.length,
    };
  }
  return { outcome: 'pass', message: `${routed.length} serving instances healthy`, measured: routed.length, threshold: routed.length };
}
