import type { StepResult } from '../../pipeline/pipeline-step.ts';
import { DeploymentSignals } from '../../store/deployment-signals.ts';
import { runStrategy } from '../../strategies/run-strategy.ts';
import type { RolloutCheckpoint, StrategyContext } from '../../strategies/strategy.ts';
import type { DeploymentRun } from '../deployment-run.ts';

/** Options of the rollout step that depend on where the deployment runs. */
export interface RolloutStepOptions {
  /** Ctrl-C aborts the rollout (only where the deployment runs in a terminal). */
  abortOnSigint: boolean;
}

export function strategyContextOf(run: DeploymentRun): StrategyContext {
  if (!run.plan) throw new Error('the rollout needs the release plan (the resolve release step did not run)');
  return {
    deploymentId: run.deploymentId,
    plan: run.plan,
    previous: run.previous,
    backend: run.backend,
    emit: (type, data) => run.recorder.event(type, data),
    resume: (run.resumedFrom?.facts.rollout as RolloutCheckpoint | undefined) ?? null,
    checkpoint: (state) => run.recorder.facts({ rollout: state }),
  };
}

/**
 * Step "rollout": the strategy cutover.yml names (a rollback uses the health-gated rolling switch).
 * `values.restored` is true or false when the strategy answered, null when it threw: then nothing
 * is known about the previous release and the caller restores it, as after a failed health check.
 */
export async function rolloutStep(run: DeploymentRun, options: RolloutStepOptions): Promise<StepResult> {
  const { loaded, request, store } = run;
  // The schema (zod) loads only for a rollback: a resumed or new deploy runs the configured rollout as validated.
  const rolloutConfig =
    request.kind === 'rollback'
      ? (await import('../../config/schema-rollout.ts')).rollbackRollout(loaded.config.rollout)
      : loaded.config.rollout;
  run.recorder.facts({
    strategy: rolloutConfig.strategy,
    ...(rolloutConfig !== loaded.config.rollout ? { configuredStrategy: loaded.config.rollout.strategy } : {}),
  });
  return run.recorder.step(
    'rollout',
    async () => {
      const deps = {
        router: run.backend,
        signals: new DeploymentSignals(store.db),
        cwd: loaded.root,
        abortOnSigint: options.abortOnSigint,
      };
      const result = await runStrategy(strategyContextOf(run), rolloutConfig, deps);
      return { outcome: result.outcome, values: { ...result.values, restored: result.restored ?? null }, reason: result.reason };
    },
    { once: true },
  );
}

/** Whether a failed rollout step put the previous release back; null when it threw (nothing is known: restore it). */
export function rolloutRestored(result: StepResult): boolean | null {
  const restored = result.values.restored;
  return typeof restored === 'boolean' ? restored : null;
}
