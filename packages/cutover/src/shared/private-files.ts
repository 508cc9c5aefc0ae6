import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/** The mode of cutover's data directory and every directory in it: its owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** The mode of every file cutover writes in its data directory (databases, WAL, logs, pid, token, socket). */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * The one exception to PRIVATE_DIR_MODE: a private PostgreSQL run as root runs as the postgres user,
 * which must pass through the data directory to reach its cluster. Others may then pass through
 * to a name they know, never list it, and every file in it is still 0600.
 */
export const TRAVERSABLE_DIR_MODE = 0o711;

/**
 * Creates the directory and makes it private; an existing one is made private too (one left
 * traversable for a private PostgreSQL stays so). Missing parents get the usual mode: only the
 * directory itself is cutover's.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if ((statSync(dir).mode & 0o777) !== TRAVERSABLE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates an empty file if it is missing and makes it private, before anything writes to it. For a
 * SQLite database this also covers its -wal and -shm files: SQLite creates them with the mode of
 * the database file; ones left by an older cutover are made private here.
 */
export function ensurePrivateFile(file: string, companions: readonly string[] = []): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
  for (const suffix of companions) if (existsSync(file + suffix)) chmodSync(file + suffix, PRIVATE_FILE_MODE);
}

/** The files beside a SQLite database in WAL mode. */
export const SQLITE_COMPANIONS = ['-wal', '-shm', '-journal'] as const;
