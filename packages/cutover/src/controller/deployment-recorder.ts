import type { StepResult } from '../pipeline/pipeline-step.ts';
import { redactEnvDeep } from '../shared/redact.ts';
import type { DeploymentRecord, DeploymentStore } from '../store/deployment-store.ts';
import { isLeaseLost } from './lease-lost-error.ts';

/** Receives a deployment's progress as it happens (the CLI renders it; tests collect it). */
export interface DeploymentObserver {
  stepStarted(name: string): void;
  stepEnded(name: string, result: StepResult, durationMs: number): void;
  event(type: string, data: Record<string, unknown>): void;
}

export const SILENT_OBSERVER: DeploymentObserver = { stepStarted() {}, stepEnded() {}, event() {} };

export interface RecorderOptions {
  /** The fencing check, run before every step: throws LeaseLostError once the deploy lock is lost. */
  fence?: () => void;
  /** The record of an interrupted run of this deployment: steps marked `once` that finished there are not run again. */
  resumedFrom?: DeploymentRecord | null;
}

/** Writes each step and event of one deployment to the store as it happens, and tells the observer. Env values are redacted: a record shows keys only. */
export class DeploymentRecorder {
  private readonly store: DeploymentStore;
  readonly deploymentId: number;
  private readonly observer: DeploymentObserver;
  private readonly options: RecorderOptions;

  constructor(store: DeploymentStore, deploymentId: number, observer: DeploymentObserver, options: RecorderOptions = {}) {
    this.store = store;
    this.deploymentId = deploymentId;
    this.observer = observer;
    this.options = options;
  }

  /**
   * Runs one step and records it. With `once`, a step that already finished (ok or skipped) in the
   * interrupted run this deployment resumes is not run again: its recorded result stands (hooks,
   * checks, backups and migrations have effects that must not repeat).
   */
  async step(name: string, run: () => Promise<StepResult>, options: { once?: boolean } = {}): Promise<StepResult> {
    this.options.fence?.();
    if (options.once) {
      const done = this.options.resumedFrom?.steps.findLast((s) => s.name === name && (s.outcome === 'ok' || s.outcome === 'skipped'));
      if (done) {
        this.event('step:resumed', { step: name, outcome: done.outcome, note: 'finished before the controller restarted; not run again' });
        return { outcome: done.outcome as 'ok' | 'skipped', values: done.values, ...(done.reason ? { reason: done.reason } : {}) };
      }
    }
    const stepId = this.store.startStep(this.deploymentId, name);
    // Step boundaries are events too, so that a follower replays steps and events in the order they happened.
    this.store.addEvent(this.deploymentId, 'step:started', { step: name, stepId });
    this.observer.stepStarted(name);
    const started = performance.now();
    let result: StepResult;
    try {
      result = await run();
    } catch (error) {
      if (isLeaseLost(error)) {
        this.store.endStep(stepId, 'failed', { leaseLost: true }, error.message);
        this.store.addEvent(this.deploymentId, 'step:ended', { step: name, stepId, outcome: 'failed' });
        throw error;
      }
      result = { outcome: 'failed', values: { error: errorFacts(error) }, reason: (error as Error).message ?? String(error) };
    }
    const recorded = { ...result, values: redactEnvDeep(result.values) };
    this.store.endStep(stepId, recorded.outcome, recorded.values, recorded.reason);
    this.store.addEvent(this.deploymentId, 'step:ended', { step: name, stepId, outcome: result.outcome });
    this.observer.stepEnded(name, recorded, performance.now() - started);
    return result;
  }

  event(type: string, data: Record<string, unknown>): void {
    data = redactEnvDeep(data);
    this.store.addEvent(this.deploymentId, type, data);
    this.observer.event(type, data);
  }

  facts(facts: Record<string, unknown>): void {
    this.store.addFacts(this.deploymentId, redactEnvDeep(facts));
  }
}

function errorFacts(error: unknown): Record<string, unknown> {
  if (error && typeof error === 'object' && 'toJSON' in error && typeof error.toJSON === 'function')
    return error.toJSON() as Record<string, unknown>;
  return { message: error instanceof Error ? error.message : String(error) };
}
