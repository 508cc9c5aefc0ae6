/** Error codes of backups, pre-deploy checks, validation and accessories: CUT_ERR_BACKUP_*, CUT_ERR_CHECK_*, CUT_ERR_ACCESSORY_*. */
export const CHECK_ERRORS = {
  CUT_ERR_BACKUP_NOT_CONFIGURED: { exitCode: 2, title: 'A backup command was run but cutover.yml has no backup section.' },
  CUT_ERR_BACKUP_NO_DATABASE_URL: { exitCode: 2, title: 'No database URL for backups: neither backup.databaseUrl nor its env var is set.' },
  CUT_ERR_BACKUP_BAD_DATABASE_URL: { exitCode: 2, title: 'The database URL for backups is not a postgres:// or postgresql:// URL.' },
  CUT_ERR_BACKUP_TOOL_MISSING: { exitCode: 1, title: 'pg_dump or pg_restore (of a version able to read the server) cannot be found.' },
  CUT_ERR_BACKUP_DATABASE_UNREACHABLE: { exitCode: 1, title: 'The database to back up or restore cannot be reached.' },
  CUT_ERR_BACKUP_DUMP_FAILED: { exitCode: 1, title: 'pg_dump failed or timed out; no backup was kept.' },
  CUT_ERR_BACKUP_VERIFY_FAILED: {
    exitCode: 1,
    title: 'A backup did not pass verification (restore into a scratch database, counts, checksum).',
  },
  CUT_ERR_BACKUP_NOT_FOUND: { exitCode: 5, title: 'No backup with that id exists for this service.' },
  CUT_ERR_BACKUP_CHECKSUM_MISMATCH: {
    exitCode: 1,
    title: 'The dump file does not match the sha256 in its manifest (corrupted or replaced).',
  },
  CUT_ERR_BACKUP_TARGET_BUSY: { exitCode: 4, title: 'Restore refused: applications hold open connections to the target database.' },
  CUT_ERR_BACKUP_RESTORE_FAILED: { exitCode: 1, title: 'pg_restore or the database swap failed; the live database was left as it was.' },
  CUT_ERR_PITR_NOT_CONFIGURED: {
    exitCode: 2,
    title: 'A point-in-time recovery command was run but cutover.yml has no backup.pitr section.',
  },
  CUT_ERR_PITR_ARCHIVE_MISSING: { exitCode: 1, title: 'The WAL archive directory (backup.pitr.archiveDir) does not exist.' },
  CUT_ERR_PITR_ARCHIVING_OFF: { exitCode: 1, title: 'The server does not archive WAL (archive_mode off or wal_level minimal).' },
  CUT_ERR_PITR_BASE_BACKUP_FAILED: { exitCode: 1, title: 'pg_basebackup failed or timed out; no base backup was kept.' },
  CUT_ERR_PITR_BAD_TIME: { exitCode: 2, title: 'The recovery target time is not an ISO 8601 instant with a zone.' },
  CUT_ERR_PITR_TARGET_EXISTS: { exitCode: 2, title: 'The data directory to recover into exists and is not empty.' },
  CUT_ERR_PITR_NO_BASE_BACKUP: { exitCode: 5, title: 'No base backup is old enough to recover to the requested time.' },
  CUT_ERR_PITR_RECOVERY_FAILED: {
    exitCode: 1,
    title: 'The recovered cluster did not start, or did not stop at the target time (WAL missing from the archive).',
  },
  CUT_ERR_CHECK_FAILED: { exitCode: 1, title: 'One or more pre-deploy checks failed.' },
  CUT_ERR_CHECK_UNKNOWN_SKIP: { exitCode: 2, title: '--skip names a check that cutover.yml does not declare.' },
  CUT_ERR_ACCESSORY_BINARY_MISSING: {
    exitCode: 1,
    title: 'The server binaries for a private accessory (initdb, pg_ctl, redis-server) cannot be found.',
  },
  CUT_ERR_ACCESSORY_UNREACHABLE: { exitCode: 1, title: 'A declared accessory is unreachable and starting a private one is disabled.' },
  CUT_ERR_ACCESSORY_UNHEALTHY: { exitCode: 1, title: 'A declared accessory answers on its port but fails its check (auth, protocol).' },
  CUT_ERR_ACCESSORY_START_FAILED: { exitCode: 1, title: 'A private accessory could not be initialised or started.' },
} as const;
