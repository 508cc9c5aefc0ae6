import type { StepResult } from '../pipeline/pipeline-step.ts';
import { redactEnvDeep } from '../shared/redact.ts';
import type { DeploymentStore } from '../store/deployment-store.ts';

/** Receives a deployment's progress as it happens (the CLI renders it; tests collect it). */
export interface DeploymentObserver {
  stepStarted(name: string): void;
  stepEnded(name: string, result: StepResult, durationMs: number): void;
  event(type: string, data: Record<string, unknown>): void;
}

export const SILENT_OBSERVER: DeploymentObserver = { stepStarted() {}, stepEnded() {}, event() {} };

/** Writes each step and event of one deployment to the store as it happens, and tells the observer. Env values are redacted: a record shows keys only. */
export class DeploymentRecorder {
  private readonly store: DeploymentStore;
  readonly deploymentId: number;
  private readonly observer: DeploymentObserver;

  constructor(store: DeploymentStore, deploymentId: number, observer: DeploymentObserver) {
    this.store = store;
    this.deploymentId = deploymentId;
    this.observer = observer;
  }

  async step(name: string, run: () => Promise<StepResult>): Promise<StepResult> {
    const stepId = this.store.startStep(this.deploymentId, name);
    this.observer.stepStarted(name);
    const started = performance.now();
    let result: StepResult;
    try {
      result = await run();
    } catch (error) {
      result = { outcome: 'failed', values: { error: errorFacts(error) }, reason: (error as Error).message ?? String(error) };
    }
    const recorded = { ...result, values: redactEnvDeep(result.values) };
    this.store.endStep(stepId, recorded.outcome, recorded.values, recorded.reason);
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
