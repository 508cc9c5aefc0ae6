import type { StepResult } from '../../pipeline/pipeline-step.ts';
import { buildReleasePlan, type ReleasePlan } from '../../releases/release-plan.ts';
import type { DeploymentRun } from '../deployment-run.ts';

/**
 * Step "resolve release": the instance specs of the release. A deploy builds them from today's
 * config and records them with the release; a rollback runs the specs recorded when that release
 * was deployed (today's config may have changed since), and builds them only for a release
 * deployed before records kept them. The previous release's recorded specs are what a failure restores.
 */
export async function resolveReleaseStep(run: DeploymentRun): Promise<StepResult> {
  const { store, service, request } = run;
  const result = await run.recorder.step('resolve release', async () => {
    const recorded = request.kind === 'rollback' ? (store.release(service, request.release)?.specs as ReleasePlan | undefined) : undefined;
    const plan = recorded ?? buildReleasePlan(run.loaded, request.release, run.releaseDir, process.env);
    if (!recorded) store.upsertRelease({ service, name: request.release, dir: run.releaseDir, specs: plan });
    run.plan = plan;
    return {
      outcome: 'ok',
      values: {
        dir: plan.dir,
        specsFrom: recorded ? 'recorded when the release was deployed' : 'cutover.yml',
        processes: plan.processes.map((p) => ({ type: p.processType, instances: p.instances, command: p.template.command })),
      },
    };
  });
  const previous = run.previousName ? ((store.release(service, run.previousName)?.specs as ReleasePlan | undefined) ?? null) : null;
  run.previous = previous;
  run.recorder.facts({ previousRelease: previous?.release ?? null });
  return result;
}
