import type pg from 'pg';
import { LOCK_HOLDER_COLUMNS, type LockHolder, toLockHolder } from './lock-holder.ts';

/**
 * Session advisory lock key of the migrations runner: the ASCII of "cutover" as one bigint.
 * pg_locks shows it as classid 6518132, objid 1870030194, objsubid 1. A session lock, not a row
 * or a transaction lock: it dies with the connection, so a killed runner never leaves it behind.
 */
export const MIGRATION_LOCK_KEY = '27995165641041266';
const LOCK_CLASSID = 6_518_132;
const LOCK_OBJID = 1_870_030_194;

/** How often a waiting runner retries pg_try_advisory_lock. */
export const DEFAULT_LOCK_POLL_MS = 250;

export type LockAttempt = { acquired: true; waitedMs: number } | { acquired: false; waitedMs: number; holder: LockHolder | null };

/**
 * Polls pg_try_advisory_lock until it succeeds or `lockWaitMs` passes. Polling (instead of one
 * blocking pg_advisory_lock) keeps the wait bounded by us, not by lock_timeout, and lets us name
 * the holder when we give up.
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  options: { lockWaitMs: number; pollMs?: number; signal?: AbortSignal; onWait?: (holder: LockHolder | null) => void },
): Promise<LockAttempt> {
  const started = performance.now();
  const pollMs = options.pollMs ?? DEFAULT_LOCK_POLL_MS;
  let reported = false;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [MIGRATION_LOCK_KEY]);
    const waitedMs = Math.round(performance.now() - started);
    if (rows[0].locked) return { acquired: true, waitedMs };
    if (waitedMs >= options.lockWaitMs || options.signal?.aborted) {
      return { acquired: false, waitedMs, holder: await findMigrationLockHolder(client) };
    }
    if (!reported && options.onWait) {
      reported = true;
      options.onWait(await findMigrationLockHolder(client));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, options.lockWaitMs - waitedMs))));
  }
}

export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
}

/** The other session holding the migrations lock in this database, or null. */
export async function findMigrationLockHolder(client: pg.ClientBase): Promise<LockHolder | null> {
  const { rows } = await client.query(
    `select ${LOCK_HOLDER_COLUMNS}
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.classid = $1 and l.objid = $2 and l.objsubid = 1
        and l.database = (select oid from pg_database where datname = current_database())
        and l.pid <> pg_backend_pid()
      limit 1`,
    [LOCK_CLASSID, LOCK_OBJID],
  );
  return rows.length > 0 ? toLockHolder(rows[0]) : null;
}
