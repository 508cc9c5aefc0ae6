import type { DeploymentRun } from '../deployment-run.ts';

/**
 * After a success: contract migrations drop what the previous release still uses, so they wait for
 * an explicit, separate confirmation; the record says how many wait and the command that runs them.
 */
export async function noteContractMigrations(run: DeploymentRun): Promise<void> {
  const { loaded, recorder } = run;
  if (!loaded.config.migrations || !run.plan) return;
  const { migrationStatus } = await import('../../database/migrations/migrate-step.ts');
  const status = await migrationStatus(loaded, run.plan.dir).catch(() => null);
  if (!status || status.pendingContract === 0) return;
  recorder.facts({
    pendingContractMigrations: status.pendingContract,
    contractCommand: `cutover migrate up --contract --config ${loaded.file}`,
  });
  recorder.event('migrate:contract-pending', { pending: status.pendingContract });
}
