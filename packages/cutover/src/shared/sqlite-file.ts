import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ensurePrivateDir, ensurePrivateFile, SQLITE_COMPANIONS } from './private-files.ts';

/** How long a writer waits for another process's write lock before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) a SQLite file shared by cooperating processes: WAL so that readers never
 * block the writer, a busy timeout so that short write contention waits instead of failing, and the
 * given schema statements applied idempotently. The directory is private (0700) and the database
 * with its WAL files 0600: they hold the env of every release.
 */
export function openSqliteFile(file: string, schema: readonly string[]): DatabaseSync {
  ensurePrivateDir(dirname(file));
  ensurePrivateFile(file, SQLITE_COMPANIONS);
  const db = new DatabaseSync(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  for (const statement of schema) db.exec(statement);
  return db;
}

/** Runs fn in an IMMEDIATE transaction (takes the write lock up front, so read-then-write is atomic). */
export function immediate<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
