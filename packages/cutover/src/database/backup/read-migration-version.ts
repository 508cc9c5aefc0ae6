import type pg from 'pg';
import { readHistory } from '../migrations/history-table.ts';

/**
 * The latest applied cutover migration id, or null when the database has none. Reads the migrations
 * runner's history table; a missing table or an unexpected shape means "no version", never a failed
 * backup. The savepoint keeps such an error from aborting the surrounding snapshot transaction.
 */
export async function readMigrationVersion(client: pg.Client, inTransaction: boolean): Promise<string | null> {
  if (inTransaction) await client.query('savepoint cutover_migration_version');
  try {
    const applied = (await readHistory(client)).filter((row) => row.status === 'applied');
    if (inTransaction) await client.query('release savepoint cutover_migration_version');
    return applied.at(-1)?.id ?? null;
  } catch {
    if (inTransaction) await client.query('rollback to savepoint cutover_migration_version');
    return null;
  }
}
