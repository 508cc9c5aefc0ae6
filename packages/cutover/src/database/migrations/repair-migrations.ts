import { CutoverError } from '../../errors/cutover-error.ts';
import { acquireMigrationLock, releaseMigrationLock } from './advisory-lock.ts';
import { findMigration } from './build-migration-plan.ts';
import { buildMigrationStatus } from './build-migration-status.ts';
import {
  buildDeleteHistory,
  buildMarkApplied,
  buildRepairChecksum,
  ensureHistoryTable,
  readHistory,
  type SqlQuery,
} from './history-table.ts';
import { loadMigrationFiles } from './load-migrations.ts';
import type { LockHolder } from './lock-holder.ts';
import { unknownTarget } from './migration-runner.ts';
import { openMigrationSession } from './migration-session.ts';
import type { MigrationSettings } from './migration-settings.ts';

export interface RepairRequest {
  /** Why the edit or the manual fix is acceptable; recorded in history. Required. */
  reason: string;
  /**
   * Without `id`: accept the current checksum of every drifted applied migration.
   * With `id` and `mark`: resolve a failed or interrupted migration by hand:
   * `applied` (you finished it) or `rolled-back` (you undid its committed part; history forgets it).
   */
  id?: string;
  mark?: 'applied' | 'rolled-back';
}

export interface RepairResult {
  outcome: 'repaired' | 'nothing-to-repair' | 'locked';
  repaired: { id: string; name: string; action: 'checksum' | 'applied' | 'rolled-back'; checksum: string | null }[];
  lockHolder: LockHolder | null;
}

/** Audited fixes of history: accepted edits, and failed migrations resolved by hand. */
export async function repairMigrations(settings: MigrationSettings, request: RepairRequest): Promise<RepairResult> {
  if (!request.reason.trim()) {
    throw new CutoverError('CUT_ERR_MIGRATE_REASON_REQUIRED', 'repair needs a reason', {
      hint: 'run cutover migrate repair --reason "why this change is safe"; the reason is kept in cutover.migrations',
    });
  }
  const files = loadMigrationFiles(settings.directory);
  const session = await openMigrationSession(settings.databaseUrl);
  try {
    const attempt = await acquireMigrationLock(session.control, { lockWaitMs: settings.lockWaitMs });
    if (!attempt.acquired) return { outcome: 'locked', repaired: [], lockHolder: attempt.holder };
    try {
      await ensureHistoryTable(session.ddl);
      const history = await readHistory(session.ddl);
      const queries: { query: SqlQuery; entry: RepairResult['repaired'][number] }[] = [];
      if (request.id !== undefined) {
        const file = findMigration(files, request.id);
        const row = history.find((h) => h.id === (file?.id ?? request.id));
        if (!row) throw unknownTarget(request.id, settings.directory);
        const mark = request.mark ?? 'applied';
        const checksum = file?.checksum ?? row.checksum;
        queries.push({
          query: mark === 'applied' ? buildMarkApplied(row.id, checksum, request.reason) : buildDeleteHistory(row.id),
          entry: { id: row.id, name: row.name, action: mark, checksum: mark === 'applied' ? checksum : null },
        });
      } else {
        for (const entry of buildMigrationStatus(files, history, null).migrations) {
          if (entry.state !== 'drift') continue;
          const file = files.find((f) => f.id === entry.id)!;
          queries.push({
            query: buildRepairChecksum(file.id, file.name, file.checksum, request.reason),
            entry: { id: file.id, name: file.name, action: 'checksum', checksum: file.checksum },
          });
        }
      }
      for (const { query } of queries) await session.ddl.query(query.text, query.values);
      return { outcome: queries.length > 0 ? 'repaired' : 'nothing-to-repair', repaired: queries.map((q) => q.entry), lockHolder: null };
    } finally {
      await releaseMigrationLock(session.control).catch(() => {});
    }
  } finally {
    await session.close();
  }
}
