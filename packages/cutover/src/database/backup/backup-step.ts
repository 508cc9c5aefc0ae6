import { isCutoverError } from '../../errors/cutover-error.ts';
import type { StepContext, StepResult } from '../../pipeline/pipeline-step.ts';
import { createBackup } from './create-backup.ts';
import { verifyBackup } from './verify-backup.ts';

/** The command that puts this backup back, as written into the deployment record. */
export function buildRestoreCommand(id: string, configFile: string, environment?: string | null): string {
  const quoted = /^[\w./-]+$/.test(configFile) ? configFile : `'${configFile.replace(/'/g, `'\\''`)}'`;
  return `cutover db restore ${id} --config ${quoted}${environment ? ` --env ${environment}` : ''}`;
}

/**
 * Pipeline step: back up the database before migrating. Skipped when cutover.yml has no backup
 * section or backup.enabled is false. A dump that fails (lock wait, timeout, unreachable server) or
 * a failed restore test is a failed step, so the deployment stops before touching the schema.
 */
export async function backupStep(ctx: StepContext): Promise<StepResult> {
  const config = ctx.loaded.config.backup;
  if (config === undefined) return { outcome: 'skipped', values: {}, reason: 'cutover.yml has no backup section' };
  if (!config.enabled) return { outcome: 'skipped', values: {}, reason: 'backup.enabled is false' };
  try {
    const backup = await createBackup({
      loaded: ctx.loaded,
      deploymentId: ctx.deploymentId,
      release: ctx.release,
      log: ctx.log,
      signal: ctx.signal,
    });
    const { manifest } = backup;
    const values: Record<string, unknown> = {
      backupId: manifest.id,
      file: backup.dumpFile,
      manifestFile: backup.manifestFile,
      sizeBytes: manifest.sizeBytes,
      sha256: manifest.sha256,
      durationMs: manifest.durationMs,
      migrationVersion: manifest.migrationVersion,
      tables: manifest.tables.length,
      restoreCommand: buildRestoreCommand(manifest.id, ctx.loaded.file, ctx.loaded.environment?.name),
      retentionDeleted: backup.retention.delete.map((d) => d.id),
    };
    if (!config.verifyAfterBackup) return { outcome: 'ok', values };
    const verify = await verifyBackup({ loaded: ctx.loaded, id: manifest.id, log: ctx.log, signal: ctx.signal });
    values.verified = verify.verified;
    values.verifyMs = verify.durationMs;
    values.verifyProblems = verify.problems;
    if (!verify.verified)
      return { outcome: 'failed', values, reason: `backup ${manifest.id} failed its restore test: ${verify.problems[0]}` };
    return { outcome: 'ok', values };
  } catch (error) {
    if (!isCutoverError(error)) throw error;
    return { outcome: 'failed', values: { errorCode: error.code, hint: error.hint }, reason: error.message };
  }
}
