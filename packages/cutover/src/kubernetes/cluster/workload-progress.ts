/** Where a workload stands, read from its status as `kubectl rollout status` and `kubectl argo rollouts status` read it. */
export type ProgressState = 'progressing' | 'paused' | 'done' | 'failed' | 'aborted';

export interface WorkloadProgress {
  state: ProgressState;
  /** One line for the live progress. */
  message: string;
  facts: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: an API object of any kind, read field by field
type Obj = Record<string, any>;

/** A Deployment: observed generation, then updated, then old replicas gone, then available; the progress deadline fails it. */
export function deploymentProgress(deployment: Obj): WorkloadProgress {
  const spec = deployment.spec ?? {};
  const st = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  const observed = st.observedGeneration ?? 0;
  const replicas = spec.replicas ?? 1;
  const facts = {
    generation,
    observedGeneration: observed,
    replicas,
    updatedReplicas: st.updatedReplicas ?? 0,
    readyReplicas: st.readyReplicas ?? 0,
    availableReplicas: st.availableReplicas ?? 0,
  };
  if (observed < generation) return { state: 'progressing', message: 'waiting for the deployment spec update to be observed', facts };
  const progressing = (st.conditions ?? []).find((c: Obj) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { state: 'failed', message: `progress deadline exceeded: ${progressing.message ?? 'no progress'}`, facts };
  const updated = facts.updatedReplicas;
  const total = st.replicas ?? 0;
  if (updated < replicas) return { state: 'progressing', message: `${updated} of ${replicas} new replicas updated`, facts };
  if (total > updated) return { state: 'progressing', message: `${total - updated} old replicas pending termination`, facts };
  if (facts.availableReplicas < updated)
    return { state: 'progressing', message: `${facts.availableReplicas} of ${updated} updated replicas available`, facts };
  return { state: 'done', message: `${updated} of ${replicas} replicas updated and available`, facts };
}

/** An Argo Rollout: its phase, current step, pause conditions and analysis runs; abort and Degraded end it. */
export function rolloutProgress(rollout: Obj): WorkloadProgress {
  const st = rollout.status ?? {};
  const generation = String(rollout.metadata?.generation ?? '');
  const observed = String(st.observedGeneration ?? '');
  const steps: unknown[] = rollout.spec?.strategy?.canary?.steps ?? [];
  const analysis =
    st.canary?.currentStepAnalysisRunStatus ??
    st.canary?.currentBackgroundAnalysisRunStatus ??
    st.blueGreen?.prePromotionAnalysisRunStatus ??
    st.blueGreen?.postPromotionAnalysisRunStatus;
  const facts: Record<string, unknown> = {
    phase: st.phase,
    generation,
    observedGeneration: observed,
    currentStepIndex: st.currentStepIndex,
    steps: steps.length,
    pauseConditions: (st.pauseConditions ?? []).map((p: Obj) => p.reason),
    analysisRun: analysis ? { name: analysis.name, status: analysis.status, message: analysis.message } : undefined,
    updatedReplicas: st.updatedReplicas ?? 0,
    availableReplicas: st.availableReplicas ?? 0,
  };
  const step =
    st.currentStepIndex === undefined || steps.length === 0
      ? ''
      : ` (step ${Math.min(st.currentStepIndex + 1, steps.length)}/${steps.length})`;
  if (st.abort === true) {
    const why =
      analysis?.status === 'Failed' || analysis?.status === 'Error'
        ? `analysis run ${analysis.name} ${analysis.status}: ${analysis.message ?? ''}`
        : (st.message ?? 'aborted');
    return { state: 'aborted', message: `rollout aborted: ${why}`.trim(), facts };
  }
  if (observed !== '' && observed !== generation)
    return { state: 'progressing', message: 'waiting for the rollout spec update to be observed', facts };
  if (st.phase === 'Degraded') return { state: 'failed', message: `rollout degraded: ${st.message ?? 'no message'}`, facts };
  if (st.phase === 'Paused' || (st.pauseConditions ?? []).length > 0 || rollout.spec?.paused === true) {
    const reasons = (st.pauseConditions ?? []).map((p: Obj) => p.reason).join(', ') || 'paused';
    return { state: 'paused', message: `paused${step}: ${reasons}; "cutover promote" goes on, "cutover abort" goes back`, facts };
  }
  // Healthy with the new pods not yet stable is the old release's health: still progressing.
  if (st.phase === 'Healthy' && (st.stableRS === undefined || st.currentPodHash === undefined || st.stableRS === st.currentPodHash))
    return { state: 'done', message: `healthy${step}: ${facts.availableReplicas} replicas available`, facts };
  const running = analysis ? `, analysis run ${analysis.name} ${analysis.status}` : '';
  return { state: 'progressing', message: `${st.phase ?? 'progressing'}${step}${running}${st.message ? `: ${st.message}` : ''}`, facts };
}
