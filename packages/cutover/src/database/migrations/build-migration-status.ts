import type { HistoryRow } from './history-row.ts';
import type { LockHolder } from './lock-holder.ts';
import type { MigrationFile } from './migration-file.ts';

/** Per-migration state as `status` shows it. */
export type MigrationState =
  | 'applied'
  | 'pending'
  | 'running' // a run holding the migrations lock is applying it now
  | 'failed' // the last run failed or crashed; `up` retries it (resuming after committed units)
  | 'drift' // applied, but the file changed since (checksum differs) or was renamed
  | 'missing'; // applied, but no file has its id any more

/** Overall state, in decreasing precedence; each has its own exit code. */
export type OverallMigrationState = 'drift' | 'failed' | 'locked' | 'pending' | 'up-to-date';

/** Exit codes of `cutover migrate status` (and of `up` ending in the same condition). */
export const MIGRATION_STATUS_EXIT_CODES: Record<OverallMigrationState, number> = {
  'up-to-date': 0,
  pending: 3,
  failed: 4,
  drift: 5,
  locked: 6,
};

export interface MigrationStatusEntry {
  id: string;
  name: string;
  kind: 'expand' | 'contract';
  state: MigrationState;
  appliedAt: string | null;
  durationMs: number | null;
  appliedBy: string | null;
  /** Checksum of the file now, and the one recorded when applied (they differ on drift). */
  fileChecksum: string | null;
  recordedChecksum: string | null;
  error: string | null;
  failedLine: number | null;
  repairedReason: string | null;
}

export interface MigrationStatus {
  state: OverallMigrationState;
  exitCode: number;
  migrations: MigrationStatusEntry[];
  pendingExpand: number;
  pendingContract: number;
  /** The session holding the migrations lock, when another run is under way. */
  lockHolder: LockHolder | null;
}

/** Joins files and history into the status report. Pure: the executor fetches, this decides. */
export function buildMigrationStatus(
  files: readonly MigrationFile[],
  history: readonly HistoryRow[],
  lockHolder: LockHolder | null,
): MigrationStatus {
  const rows = new Map(history.map((row) => [row.id, row]));
  const ids = new Set([...files.map((f) => f.id), ...history.map((r) => r.id)]);
  const migrations: MigrationStatusEntry[] = [];
  for (const id of [...ids].sort((a, b) => Number(a) - Number(b))) {
    const file = files.find((f) => f.id === id);
    const row = rows.get(id);
    let state: MigrationState;
    if (!row) state = 'pending';
    else if (!file) state = 'missing';
    else if (row.status === 'running' && lockHolder) state = 'running';
    else if (row.status !== 'applied') state = 'failed';
    else if (row.checksum !== file.checksum || row.name !== file.name) state = 'drift';
    else state = 'applied';
    migrations.push({
      id,
      name: file?.name ?? row?.name ?? id,
      kind: file?.kind ?? row?.kind ?? 'expand',
      state,
      appliedAt: row?.appliedAt ?? null,
      durationMs: row?.durationMs ?? null,
      appliedBy: row?.appliedBy ?? null,
      fileChecksum: file?.checksum ?? null,
      recordedChecksum: row?.checksum ?? null,
      error: row?.error ?? null,
      failedLine: row?.failedLine ?? null,
      repairedReason: row?.repairedReason ?? null,
    });
  }
  const has = (s: MigrationState) => migrations.some((m) => m.state === s);
  const pending = migrations.filter((m) => m.state === 'pending');
  let state: OverallMigrationState = 'up-to-date';
  if (has('drift') || has('missing')) state = 'drift';
  else if (has('failed')) state = 'failed';
  else if (lockHolder) state = 'locked';
  else if (pending.length > 0) state = 'pending';
  return {
    state,
    exitCode: MIGRATION_STATUS_EXIT_CODES[state],
    migrations,
    pendingExpand: pending.filter((m) => m.kind === 'expand').length,
    pendingContract: pending.filter((m) => m.kind === 'contract').length,
    lockHolder,
  };
}
