import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { clusterConnection, primaryWorkload } from './cluster-target.ts';
import { readWorkload } from './follow-workload.ts';
import { apiError, MERGE_PATCH } from './kube-connection.ts';

// biome-ignore lint/suspicious/noExplicitAny: an API object of any kind, read field by field
type Obj = Record<string, any>;

/**
 * promote and abort as `kubectl argo rollouts` does them: promote unpauses spec.paused and clears
 * status.pauseConditions (or, in a canary with no pause condition, moves currentStepIndex on);
 * --full sets status.promoteFull; abort sets status.abort. Status goes through the status subresource.
 */
export async function signalRollout(
  loaded: LoadedConfig,
  action: 'promote' | 'promote-full' | 'abort',
  conn = clusterConnection(loaded),
): Promise<{ rollout: string; patches: Obj[] }> {
  const workload = primaryWorkload(loaded);
  if (workload.kind !== 'Rollout') {
    throw new CutoverError(
      'CUT_ERR_KUBE_NOT_PAUSED',
      `${workload.name} is a Deployment (rollout.strategy: rolling): there is no step to ${action === 'abort' ? 'abort' : 'promote'}`,
      {
        hint:
          action === 'abort'
            ? 'go back with "cutover rollback --target kubernetes"'
            : 'a rolling update goes on by itself; "cutover status --target kubernetes" shows it',
      },
    );
  }
  const rollout = await readWorkload(conn, workload);
  const st = rollout.status ?? {};
  const patches: Obj[] = [];
  const statusPatch = async (status: Obj) => {
    patches.push({ status });
    try {
      await conn.custom.patchNamespacedCustomObjectStatus(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: workload.namespace,
          plural: 'rollouts',
          name: workload.name,
          body: { status },
        },
        MERGE_PATCH,
      );
    } catch (error) {
      throw apiError(`patching the status of Rollout ${workload.name}`, error, conn.server);
    }
  };
  const specPatch = async (spec: Obj) => {
    patches.push({ spec });
    try {
      await conn.custom.patchNamespacedCustomObject(
        {
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: workload.namespace,
          plural: 'rollouts',
          name: workload.name,
          body: { spec },
        },
        MERGE_PATCH,
      );
    } catch (error) {
      throw apiError(`patching Rollout ${workload.name}`, error, conn.server);
    }
  };
  if (action === 'abort') {
    await statusPatch({ abort: true });
    return { rollout: workload.name, patches };
  }
  if (st.abort === true) {
    throw new CutoverError('CUT_ERR_KUBE_NOT_PAUSED', `Rollout ${workload.name} was aborted: a promote does not undo an abort`, {
      hint: 'deploy the release again to retry it ("cutover deploy <release> --target kubernetes")',
    });
  }
  if (action === 'promote-full') {
    if (st.currentPodHash !== undefined && st.currentPodHash === st.stableRS)
      throw new CutoverError('CUT_ERR_KUBE_NOT_PAUSED', `Rollout ${workload.name} is fully promoted already`, {
        hint: '"cutover status --target kubernetes" shows it',
      });
    await statusPatch({ promoteFull: true });
    return { rollout: workload.name, patches };
  }
  if (rollout.spec?.paused === true) await specPatch({ paused: false });
  if ((st.pauseConditions ?? []).length > 0) await statusPatch({ pauseConditions: null });
  else if (rollout.spec?.strategy?.canary !== undefined) {
    const steps = rollout.spec.strategy.canary.steps ?? [];
    const index = Math.min((st.currentStepIndex ?? 0) + 1, steps.length);
    await statusPatch({ pauseConditions: null, currentStepIndex: index });
  } else if (rollout.spec?.paused !== true) {
    throw new CutoverError('CUT_ERR_KUBE_NOT_PAUSED', `Rollout ${workload.name} is not paused: nothing to promote`, {
      hint: '"cutover status --target kubernetes" shows where it stands',
    });
  }
  return { rollout: workload.name, patches };
}
