import type { CheckOutcome } from '../checks/check-result.ts';
import type { ValidationDeps } from '../checks/run-validation.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import type { StepContext, StepResult } from '../pipeline/pipeline-step.ts';

export interface SkipCheck {
  name: string;
  reason: string;
}

export interface PipelineStep {
  name: string;
  run(ctx: StepContext): Promise<StepResult>;
}

/** The data and check steps around the rollout: before it (checks, backup, migrate) and after the switch (validation). */
export interface Pipeline {
  beforeRollout: PipelineStep[];
  afterSwitch: PipelineStep[];
}

/** What only the running deployment can answer: the live agent state behind some checks. */
export interface PipelineDeps {
  skipChecks: readonly SkipCheck[];
  currentReleaseHealthy(): Promise<CheckOutcome>;
  deployLockFree(): Promise<CheckOutcome>;
  /** Computed after the switch: proxy URL, the new instances' URLs, the proxy's counters. */
  validationDeps(): Promise<ValidationDeps>;
}

/**
 * A data step whose section cutover.yml lacks is skipped without loading its module (pg, the SQL
 * parser): the same result the step gives by itself.
 */
const NO_SECTION = {
  backup: { outcome: 'skipped', values: {}, reason: 'cutover.yml has no backup section' },
  migrations: { outcome: 'skipped', values: {}, reason: 'cutover.yml has no migrations section' },
} as const satisfies Record<string, StepResult>;

/**
 * Builds the steps this config asks for. Each step reports `skipped` by itself when its section is
 * absent, so the record always shows every stage of the pipeline and why it did or did not run.
 * Order matters: migrations start only after the backup finished. Each step's module (the checks,
 * pg, the SQL parser of migrations) loads when the step runs, not when the controller starts: a
 * restarted controller resumes its deployments without waiting for them.
 */
export function buildPipeline(_loaded: LoadedConfig, deps: PipelineDeps): Pipeline {
  return {
    beforeRollout: [
      {
        name: 'pre-deploy checks',
        run: async (ctx) =>
          (await import('../checks/run-pre-deploy-checks.ts')).runPreDeployChecks(ctx, {
            skip: deps.skipChecks,
            probes: { currentReleaseHealthy: deps.currentReleaseHealthy, deployLockFree: deps.deployLockFree },
          }),
      },
      {
        name: 'backup',
        run: async (ctx) =>
          ctx.loaded.config.backup === undefined ? NO_SECTION.backup : (await import('../database/backup/backup-step.ts')).backupStep(ctx),
      },
      {
        name: 'migrate',
        run: async (ctx) =>
          ctx.loaded.config.migrations === undefined
            ? NO_SECTION.migrations
            : (await import('../database/migrations/migrate-step.ts')).migrateStep(ctx),
      },
    ],
    afterSwitch: [
      {
        name: 'validation',
        run: async (ctx) => (await import('../checks/run-validation.ts')).runValidation(ctx, await deps.validationDeps()),
      },
    ],
  };
}
