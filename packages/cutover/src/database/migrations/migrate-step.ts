import type { LoadedConfig } from '../../config/load-config.ts';
import { isCutoverError } from '../../errors/cutover-error.ts';
import type { StepContext, StepResult } from '../../pipeline/pipeline-step.ts';
import type { MigrationStatus } from './build-migration-status.ts';
import { describeLockHolder } from './lock-holder.ts';
import { type MigrationRunResult, readMigrationStatus, runMigrationsUp } from './migration-runner.ts';
import { defaultAppliedBy, type MigrationSettings, resolveMigrationSettings } from './migration-settings.ts';

/**
 * Pipeline step "migrate" (expand): lints, then applies pending migrations except those marked
 * contract. Skipped when cutover.yml has no `migrations` section. Never throws for expected
 * outcomes: lint findings, a busy lock, drift or a failed statement are `failed` with the facts in
 * `values`.
 */
export function migrateStep(ctx: StepContext): Promise<StepResult> {
  return runStep(ctx, false);
}

/**
 * Pipeline step "contract": applies every pending migration, contract ones included. The
 * controller runs it only after the new release is fully promoted, as its own confirmed step.
 */
export function contractStep(ctx: StepContext): Promise<StepResult> {
  return runStep(ctx, true);
}

/** Status of the configured database's migrations, or null when cutover.yml has no `migrations` section. */
export async function migrationStatus(loaded: LoadedConfig, releaseDir?: string): Promise<MigrationStatus | null> {
  const settings = resolveMigrationSettings(loaded, process.env, releaseDir);
  return settings ? readMigrationStatus(settings) : null;
}

async function runStep(ctx: StepContext, contract: boolean): Promise<StepResult> {
  try {
    const settings = await migrationSettingsOf(ctx);
    if (!settings) return { outcome: 'skipped', values: {}, reason: 'cutover.yml has no migrations section' };
    const result = await runMigrationsUp(
      { ...settings, appliedBy: `${defaultAppliedBy()} deployment ${ctx.deploymentId}` },
      { contract },
      { log: ctx.log, signal: ctx.signal },
    );
    return toStepResult(result, contract);
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return { outcome: 'failed', values: { error: error.toJSON() }, reason: error.message };
  }
}

/**
 * The migrations' settings: the database URL's variable from cutover's environment or cutover.yml's
 * env, else from the release's env and secrets (a DATABASE_URL kept in `secrets:`, read now).
 */
async function migrationSettingsOf(ctx: StepContext): Promise<MigrationSettings | undefined> {
  try {
    return resolveMigrationSettings(ctx.loaded, process.env, ctx.releaseDir);
  } catch (error) {
    if (!isCutoverError(error) || error.code !== 'CUT_ERR_MIGRATE_DATABASE_URL_MISSING' || !ctx.commandEnv) throw error;
    return resolveMigrationSettings(ctx.loaded, { ...(await ctx.commandEnv()), ...process.env }, ctx.releaseDir);
  }
}

/** Maps a run to the step contract: ok for applied/up-to-date, failed with one sentence otherwise. */
export function toStepResult(result: MigrationRunResult, contract: boolean): StepResult {
  const values: Record<string, unknown> = {
    outcome: result.outcome,
    contract,
    applied: result.executed.map((m) => ({ id: m.id, name: m.name, kind: m.kind, durationMs: m.durationMs, retries: m.retries })),
    skippedContract: result.skippedContract,
    lockTimeouts: result.lockTimeouts,
    lockWaitedMs: result.lockWaitedMs,
    lintFindings: result.lintFindings,
    serverVersionNum: result.serverVersionNum,
  };
  if (result.failure) values.failure = result.failure;
  if (result.lockHolder) values.lockHolder = result.lockHolder;
  if (result.drift.length > 0) values.drift = result.drift;
  switch (result.outcome) {
    case 'applied':
    case 'up-to-date':
      return { outcome: 'ok', values };
    case 'lint-blocked': {
      const blocking = result.lintFindings.filter((f) => f.blocking);
      const first = blocking[0];
      return {
        outcome: 'failed',
        values,
        reason: `${blocking.length} lint finding(s) block the migration, first ${first.ruleId} at ${first.file}:${first.line}`,
      };
    }
    case 'locked':
      return {
        outcome: 'failed',
        values,
        reason: `another migrations run holds the lock${result.lockHolder ? `: ${describeLockHolder(result.lockHolder)}` : ''}`,
      };
    case 'drift':
      return {
        outcome: 'failed',
        values,
        reason: `applied migration(s) changed since they ran: ${result.drift.map((d) => d.name).join(', ')}`,
      };
    case 'irreversible':
      return { outcome: 'failed', values, reason: `no down section in ${result.irreversible.join(', ')}` };
    case 'failed':
      return {
        outcome: 'failed',
        values,
        reason: `${result.failure?.name} failed at line ${result.failure?.line ?? '?'}: ${result.failure?.message}`,
      };
  }
}
