import type { StepResult } from '../../pipeline/pipeline-step.ts';
import { restorePrevious } from '../../strategies/restore-previous.ts';
import type { DeploymentRun } from '../deployment-run.ts';
import { strategyContextOf } from './rollout-step.ts';

/** Step "restore previous release": the previous release back at full capacity, the new one drained and stopped. */
export function restoreStep(run: DeploymentRun): Promise<StepResult> {
  return run.recorder.step('restore previous release', async () => {
    const ok = await restorePrevious(strategyContextOf(run));
    return { outcome: ok ? 'ok' : 'failed', values: { restored: ok, release: run.previous?.release ?? null } };
  });
}
