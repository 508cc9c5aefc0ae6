import type { LoadedConfig } from '../config/load-config.ts';
import type { StepContext, StepResult } from './pipeline-step.ts';

export interface SkipCheck {
  name: string;
  reason: string;
}

export interface PipelineStep {
  name: string;
  run(ctx: StepContext): Promise<StepResult>;
}

/** The configured data and check steps around the rollout: before it (checks, backup, migrate) and after the switch (validation). */
export interface Pipeline {
  beforeRollout: PipelineStep[];
  afterSwitch: PipelineStep[];
}

/** Builds the steps this config asks for; steps whose section is absent are left out. */
export function buildPipeline(_loaded: LoadedConfig, _options: { skipChecks: SkipCheck[]; lockFree: boolean }): Pipeline {
  return { beforeRollout: [], afterSwitch: [] };
}
