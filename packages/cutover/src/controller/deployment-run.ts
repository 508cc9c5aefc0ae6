import type { LoadedConfig } from '../config/load-config.ts';
import type { StepContext, StepResult } from '../pipeline/pipeline-step.ts';
import type { TrafficRouter } from '../platform/traffic-router.ts';
import type { WorkloadBackend } from '../platform/workload-backend.ts';
import type { ReleasePlan } from '../releases/release-plan.ts';
import type { DeploymentRecord, DeploymentState, DeploymentStore } from '../store/deployment-store.ts';
import type { DeploymentObserver, DeploymentRecorder } from './deployment-recorder.ts';
import type { SkipCheck } from './pipeline.ts';
import { releaseCommandEnv } from './steps/release-command-env.ts';

export interface DeployRequest {
  loaded: LoadedConfig;
  release: string;
  kind: 'deploy' | 'rollback';
  observer: DeploymentObserver;
  actor?: string;
  skipChecks?: SkipCheck[];
}

export interface DeployOutcome {
  deploymentId: number;
  state: DeploymentState;
  reason: string | null;
  record: DeploymentRecord;
}

/**
 * One deployment in flight: what every step of the pipeline reads (the request, the config with
 * the accessories' env, the plans of the new and the previous release) and the handles it acts
 * through. The steps fill `plan` and `previous` as they learn them.
 */
export interface DeploymentRun {
  request: DeployRequest;
  deploymentId: number;
  service: string;
  store: DeploymentStore;
  recorder: DeploymentRecorder;
  backend: WorkloadBackend & TrafficRouter;
  /** The config as the steps see it: the accessories' URLs layered over its env. */
  loaded: LoadedConfig;
  lockOwner: string;
  /** The release directory, resolved before anything was recorded. */
  releaseDir: string;
  /** The name of the release to restore on failure (null on a first deploy). */
  previousName: string | null;
  plan: ReleasePlan | null;
  previous: ReleasePlan | null;
  /** The record of the interrupted run this one continues (null for a fresh deployment). */
  resumedFrom: DeploymentRecord | null;
}

export function isFailed(result: StepResult): boolean {
  return result.outcome === 'failed';
}

/** What the checks, data steps and validation receive from a deployment run. */
export function stepContextOf(run: DeploymentRun, signal: AbortSignal): StepContext {
  return {
    loaded: run.loaded,
    deploymentId: String(run.deploymentId),
    release: run.request.release,
    releaseDir: run.plan?.dir ?? run.releaseDir,
    previousRelease: run.previous?.release ?? null,
    log: (message) => run.recorder.event('step:log', { message }),
    signal,
    commandEnv: releaseCommandEnv(run),
  };
}
