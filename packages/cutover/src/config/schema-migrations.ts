import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';

/** Defaults of the `migrations` section (docs/migrations.md shows the same numbers). */
export const DEFAULT_MIGRATIONS_DIRECTORY = 'migrations';
/** Short, because the runner retries: a DDL statement queued behind a long transaction stalls every later query on its table. */
export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 2_000;
export const DEFAULT_MIGRATION_STATEMENT_TIMEOUT_MS = 10 * 60_000;
/** How long a run waits for another run's migrations lock before reporting the holder. */
export const DEFAULT_MIGRATION_LOCK_WAIT_MS = 30_000;
export const DEFAULT_MIGRATION_LOCK_RETRIES = 8;
export const DEFAULT_MIGRATION_RETRY_BASE_MS = 1_000;
export const DEFAULT_MIGRATION_RETRY_MAX_MS = 15_000;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const ruleSetting = z.enum(['error', 'warning', 'off']);

const migrations = z
  .strictObject({
    /** Directory of NNNN_slug.sql files, relative to cutover.yml (default: migrations). */
    directory: z.string().min(1).default(DEFAULT_MIGRATIONS_DIRECTORY),
    /** Connection URL. Prefer databaseUrlEnv so the secret stays out of the file. */
    databaseUrl: z.string().min(1).optional(),
    /** Environment variable holding the connection URL, e.g. DATABASE_URL (the process env, then the service env). */
    databaseUrlEnv: envName.optional(),
    /** lock_timeout for migration statements (default: 2s); a migration can override it with `-- cutover:lock_timeout`. */
    lockTimeoutMs: durationMs().default(DEFAULT_MIGRATION_LOCK_TIMEOUT_MS),
    /** statement_timeout for migration statements (default: 10m); 0 disables it. */
    statementTimeoutMs: durationMs().default(DEFAULT_MIGRATION_STATEMENT_TIMEOUT_MS),
    /** How long to wait for another run's migrations lock (default: 30s). */
    lockWaitMs: durationMs().default(DEFAULT_MIGRATION_LOCK_WAIT_MS),
    /** Retries after a lock timeout, per transaction or non-transactional statement (default: 8). */
    lockRetries: z.number().int().min(0).max(100).default(DEFAULT_MIGRATION_LOCK_RETRIES),
    /** First backoff after a lock timeout; doubles each retry, with jitter (default: 1s). */
    retryBaseMs: durationMs().default(DEFAULT_MIGRATION_RETRY_BASE_MS),
    /** Longest backoff between retries (default: 15s). */
    retryMaxMs: durationMs().default(DEFAULT_MIGRATION_RETRY_MAX_MS),
    /** Per-rule severity overrides for the migration linter: error (blocks), warning, off. */
    lint: z.strictObject({ rules: z.record(z.string(), ruleSetting).default({}) }).default({ rules: {} }),
  })
  .refine((m) => !(m.databaseUrl && m.databaseUrlEnv), { message: 'set databaseUrl or databaseUrlEnv, not both' });

/** cutover.yml sections for the migrations runner. Each key must be optional. */
export const migrationsSectionsSchema = {
  migrations: migrations.optional(),
};

export type MigrationsConfig = z.output<typeof migrations>;
