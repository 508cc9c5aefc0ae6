import type pg from 'pg';

/**
 * The latest applied cutover migration, or null when the database has none. Until the migrations
 * runner exposes its own reader, this reads `max(id)` from cutover.migrations defensively: a missing
 * table or an unexpected shape means "no version", never a failed backup. The savepoint keeps an
 * error from aborting a surrounding snapshot transaction.
 */
export async function readMigrationVersion(client: pg.Client | pg.PoolClient, inTransaction: boolean): Promise<string | null> {
  const present = await client.query<{ present: boolean }>(`select to_regclass('cutover.migrations') is not null as present`);
  if (!present.rows[0]?.present) return null;
  if (inTransaction) await client.query('savepoint cutover_migration_version');
  try {
    const result = await client.query<{ version: string | null }>('select max(id)::text as version from cutover.migrations');
    if (inTransaction) await client.query('release savepoint cutover_migration_version');
    return result.rows[0]?.version ?? null;
  } catch {
    if (inTransaction) await client.query('rollback to savepoint cutover_migration_version');
    return null;
  }
}
