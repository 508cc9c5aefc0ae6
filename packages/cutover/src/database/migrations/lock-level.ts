/**
 * PostgreSQL table lock modes, weakest first. The comments name what each one blocks,
 * which is what `cutover migrate plan` wants a reader to see.
 */
export const LOCK_LEVELS = [
  'NONE', // catalog-only or no table touched
  'ACCESS SHARE', // SELECT: blocks only ACCESS EXCLUSIVE
  'ROW SHARE', // SELECT FOR UPDATE
  'ROW EXCLUSIVE', // INSERT/UPDATE/DELETE
  'SHARE UPDATE EXCLUSIVE', // VACUUM, CONCURRENTLY builds, VALIDATE: blocks other schema changes, not reads/writes
  'SHARE', // CREATE INDEX: blocks writes
  'SHARE ROW EXCLUSIVE', // foreign keys, triggers: blocks writes
  'EXCLUSIVE', // REFRESH MATERIALIZED VIEW CONCURRENTLY: blocks writes and row locks
  'ACCESS EXCLUSIVE', // most ALTER TABLE, DROP, TRUNCATE: blocks reads and writes
] as const;

export type LockLevel = (typeof LOCK_LEVELS)[number];

export function strongestLock(levels: readonly LockLevel[]): LockLevel {
  let best: LockLevel = 'NONE';
  for (const level of levels) if (LOCK_LEVELS.indexOf(level) > LOCK_LEVELS.indexOf(best)) best = level;
  return best;
}

/** Whether the level blocks ordinary reads (SELECT) of the table while held or queued. */
export function blocksReads(level: LockLevel): boolean {
  return level === 'ACCESS EXCLUSIVE';
}

/** Whether the level blocks INSERT/UPDATE/DELETE on the table while held or queued. */
export function blocksWrites(level: LockLevel): boolean {
  return LOCK_LEVELS.indexOf(level) >= LOCK_LEVELS.indexOf('SHARE');
}
