/**
 * Error codes of the migrations runner and linter: CUT_ERR_MIGRATE_*.
 * Exit codes 3-7 are shared with `cutover migrate status` so CI reads one meaning per number:
 * 3 pending, 4 failed, 5 drift, 6 locked, 7 lint findings block.
 */
export const MIGRATION_ERRORS = {
  CUT_ERR_MIGRATE_NOT_CONFIGURED: { exitCode: 2, title: 'cutover.yml has no `migrations` section, or it names no database.' },
  CUT_ERR_MIGRATE_DATABASE_URL_MISSING: { exitCode: 2, title: 'The environment variable that should hold the database URL is not set.' },
  CUT_ERR_MIGRATE_DIRECTORY_MISSING: { exitCode: 2, title: 'The migrations directory does not exist.' },
  CUT_ERR_MIGRATE_SQL_SYNTAX: { exitCode: 2, title: 'A migration holds SQL that PostgreSQL cannot parse (reported with its line).' },
  CUT_ERR_MIGRATE_FILE_INVALID: { exitCode: 2, title: 'A migration file is misnamed, duplicated or has malformed up/down markers.' },
  CUT_ERR_MIGRATE_UNKNOWN_TARGET: { exitCode: 2, title: 'The migration id given to `to`, `repair` or `--mark` matches no migration.' },
  CUT_ERR_MIGRATE_REASON_REQUIRED: { exitCode: 2, title: '`cutover migrate repair` was run without --reason.' },
  CUT_ERR_MIGRATE_CONNECT: { exitCode: 8, title: 'The migrations runner could not connect to the database.' },
  CUT_ERR_MIGRATE_PENDING: { exitCode: 3, title: 'Migrations are pending (reported by status, not an error of up).' },
  CUT_ERR_MIGRATE_FAILED: { exitCode: 4, title: 'A migration failed or was interrupted; its error and statement are recorded.' },
  CUT_ERR_MIGRATE_DRIFT: { exitCode: 5, title: 'An applied migration was edited, removed or renamed since it ran.' },
  CUT_ERR_MIGRATE_LOCKED: { exitCode: 6, title: 'Another migrations run held the lock for longer than the lock wait.' },
  CUT_ERR_MIGRATE_LINT_BLOCKED: { exitCode: 7, title: 'The linter found dangerous operations that no allow comment covers.' },
  CUT_ERR_MIGRATE_IRREVERSIBLE: { exitCode: 9, title: 'A migration to roll back has no `-- migrate:down` section.' },
} as const;
