import type { StepResult } from '../../pipeline/pipeline-step.ts';
import type { DeploymentRun } from '../deployment-run.ts';
import { buildRouteSpec } from './route-spec.ts';

/** Step "route": the proxy route of the service as cutover.yml declares it (idempotent). */
export function routeStep(run: DeploymentRun): Promise<StepResult> {
  return run.recorder.step('route', async () => {
    const spec = buildRouteSpec(run.loaded);
    await run.backend.setRoute(spec);
    return { outcome: 'ok', values: { route: spec } };
  });
}
