import { z } from 'zod';
import { durationMs } from '../shared/duration.ts';
import { loadTestSchema } from './schema-load-test.ts';

/** cutover.yml sections for backups, pre-deploy checks, validation and accessories. Each key must be optional. */

export const DEFAULT_BACKUP_URL_ENV = 'DATABASE_URL';
export const DEFAULT_BACKUP_MAINTENANCE_DATABASE = 'postgres';
export const DEFAULT_BACKUP_LOCK_WAIT_TIMEOUT_MS = 10_000;
export const DEFAULT_BACKUP_TIMEOUT_MS = 3_600_000;
export const DEFAULT_BACKUP_KEEP_COUNT = 7;
export const DEFAULT_BACKUP_KEEP_MAX_AGE_MS = 30 * 24 * 3_600_000;
export const DEFAULT_BACKUP_EXACT_COUNT_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_BACKUP_RESTORE_JOBS = 2;
export const DEFAULT_PITR_OS_USER = 'postgres';
export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;
export const DEFAULT_COMMAND_CHECK_TIMEOUT_MS = 60_000;
export const DEFAULT_ERROR_RATE_WINDOW_MS = 30_000;
export const DEFAULT_ERROR_RATE_MAX = 0.01;
export const DEFAULT_ERROR_RATE_MIN_REQUESTS = 20;
export const DEFAULT_VALIDATION_ATTEMPTS = 1;
export const DEFAULT_VALIDATION_RETRY_DELAY_MS = 1_000;
export const DEFAULT_ACCESSORY_START_TIMEOUT_MS = 60_000;

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** Parses "512MB", "2GiB", "100 kb" or a plain number of bytes. Returns undefined when malformed. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = BYTE_UNITS[(match[2] ?? 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

function byteSize() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a size such as 500MB, 2GiB or a number of bytes (got ${JSON.stringify(value)})` });
      return z.NEVER;
    }
    return bytes;
  });
}

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');
const port = z.number().int().min(1).max(65_535);
const checkName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'must be letters, digits and . _ : / - (at most 100)');
const statusList = z.array(z.number().int().min(100).max(599)).min(1);
const headers = z.record(z.string(), z.string()).default({});

const common = {
  /** Unique name in reports and for --skip (default: derived from kind and target). */
  name: checkName.optional(),
  /** Give up after this long (default 5s). */
  timeoutMs: durationMs().default(DEFAULT_CHECK_TIMEOUT_MS),
};

const diskCheck = z
  .strictObject({
    kind: z.literal('disk'),
    ...common,
    /** Path on the filesystem to measure (default: the agent data dir). */
    path: z.string().optional(),
    minFreeBytes: byteSize().optional(),
    minFreePercent: z.number().min(0).max(100).optional(),
  })
  .refine((c) => c.minFreeBytes !== undefined || c.minFreePercent !== undefined, 'needs minFreeBytes or minFreePercent');

const loadCheck = z.strictObject({
  kind: z.literal('load'),
  ...common,
  /** Highest 1-minute load average per CPU core. */
  maxLoadPerCore: z.number().positive(),
});

const memoryCheck = z.strictObject({
  kind: z.literal('memory'),
  ...common,
  /** Least available memory (MemAvailable on Linux). */
  minAvailableBytes: byteSize(),
});

const postgresCheck = z
  .strictObject({
    kind: z.literal('postgres'),
    ...common,
    url: z.string().optional(),
    /** Env var holding the URL: cutover's environment first, then env: and envFiles of cutover.yml. */
    urlEnv: envName.optional(),
  })
  .refine((c) => c.url !== undefined || c.urlEnv !== undefined, 'needs url or urlEnv');

const redisCheck = z
  .strictObject({
    kind: z.literal('redis'),
    ...common,
    url: z.string().optional(),
    urlEnv: envName.optional(),
    host: z.string().optional(),
    port: port.optional(),
  })
  .refine((c) => c.url !== undefined || c.urlEnv !== undefined || c.host !== undefined, 'needs url, urlEnv or host');

const tcpCheck = z.strictObject({ kind: z.literal('tcp'), ...common, host: z.string().default('127.0.0.1'), port });

const httpCheck = z.strictObject({
  kind: z.literal('http'),
  ...common,
  url: z.url(),
  method: z.string().default('GET'),
  headers,
  /** Status codes that pass (default: any 2xx). */
  expectStatus: statusList.optional(),
  /** The response body must contain this text. */
  bodyIncludes: z.string().optional(),
});

const backupAgeCheck = z.strictObject({
  kind: z.literal('backup-age'),
  ...common,
  /** The newest backup must be younger than this. */
  maxAgeMs: durationMs({ timer: false }),
  /** Only count backups whose restore test passed (default false). */
  requireVerified: z.boolean().default(false),
});

const commandCheck = z.strictObject({
  kind: z.literal('command'),
  ...common,
  timeoutMs: durationMs().default(DEFAULT_COMMAND_CHECK_TIMEOUT_MS),
  /** Run with sh -c in the directory of cutover.yml with the service env; exit 0 passes. */
  command: z.string().min(1),
});

/** Evaluated by a function the controller passes in (it asks the agent). */
const currentReleaseHealthyCheck = z.strictObject({ kind: z.literal('current-release-healthy'), ...common });
/** Evaluated by a function the controller passes in (it reads the lock store). */
const deployLockFreeCheck = z.strictObject({ kind: z.literal('deploy-lock-free'), ...common });

export const checkSpecSchema = z.discriminatedUnion('kind', [
  diskCheck,
  loadCheck,
  memoryCheck,
  postgresCheck,
  redisCheck,
  tcpCheck,
  httpCheck,
  backupAgeCheck,
  commandCheck,
  currentReleaseHealthyCheck,
  deployLockFreeCheck,
]);

/** Checks that make sense again after the switch: can the new release reach what it needs. */
export const dependencyCheckSchema = z.discriminatedUnion('kind', [postgresCheck, redisCheck, tcpCheck, httpCheck]);

function uniqueNames(list: { name?: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((item, index) => {
    if (item.name === undefined) return;
    if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate check name "${item.name}"` });
    seen.add(item.name);
  });
}

/** Point-in-time recovery: base backups (pg_basebackup) and the WAL the server archives (docs/backups.md). */
const pitr = z.strictObject({
  /** Where the server's archive_command copies WAL segments; restore_command reads them back from there. */
  archiveDir: z
    .string()
    .min(1)
    .refine((value) => value.startsWith('/'), {
      message: "must be an absolute path (the server's archive_command writes there, whatever its working directory)",
    }),
  /** Where base backups go (default <agent.dataDir>/basebackups/<service>; relative to cutover.yml). */
  baseBackupDir: z.string().min(1).optional(),
  /** Keep at most this many base backups (default 7); WAL older than the oldest kept one is deleted. */
  keepCount: z.number().int().min(1).default(DEFAULT_BACKUP_KEEP_COUNT),
  /** Delete base backups older than this (default 720h); the newest is always kept. */
  keepMaxAgeMs: durationMs({ timer: false }).default(DEFAULT_BACKUP_KEEP_MAX_AGE_MS),
  /** When cutover runs as root, the account that owns a recovered cluster and runs pg_ctl (default postgres). */
  osUser: z.string().min(1).default(DEFAULT_PITR_OS_USER),
});

const backup = z.strictObject({
  /** Take a backup as a pipeline step of every deploy (default true). */
  enabled: z.boolean().default(true),
  /** Database to back up; wins over databaseUrlEnv. */
  databaseUrl: z.string().optional(),
  /** Env var holding the database URL (default: the migrations section's database, else DATABASE_URL). */
  databaseUrlEnv: envName.optional(),
  /** Database to connect to for CREATE/DROP/RENAME DATABASE during verify and restore (default postgres). */
  maintenanceDatabase: z.string().min(1).default(DEFAULT_BACKUP_MAINTENANCE_DATABASE),
  /** pg_dump --lock-wait-timeout: fail instead of queueing behind DDL (default 10s). */
  lockWaitTimeoutMs: durationMs().default(DEFAULT_BACKUP_LOCK_WAIT_TIMEOUT_MS),
  /** Kill pg_dump/pg_restore after this long (default 1h). */
  timeoutMs: durationMs().default(DEFAULT_BACKUP_TIMEOUT_MS),
  /** Keep at most this many backups (default 7). */
  keepCount: z.number().int().min(1).default(DEFAULT_BACKUP_KEEP_COUNT),
  /** Delete backups older than this (default 720h = 30 days). */
  keepMaxAgeMs: durationMs({ timer: false }).default(DEFAULT_BACKUP_KEEP_MAX_AGE_MS),
  /** Tables up to this size get an exact count(*); larger ones the planner estimate (default 512MiB). */
  exactCountMaxBytes: byteSize().default(DEFAULT_BACKUP_EXACT_COUNT_MAX_BYTES),
  /** Restore-test every pipeline backup into a scratch database before migrating (default false). */
  verifyAfterBackup: z.boolean().default(false),
  /** pg_restore --jobs for verify and restore (default 2). */
  restoreJobs: z.number().int().min(1).max(64).default(DEFAULT_BACKUP_RESTORE_JOBS),
  /** pg_dump --compress level 0-9 (default: pg_dump's own). */
  compressLevel: z.number().int().min(0).max(9).optional(),
  /** Directory holding pg_dump and pg_restore (default: PATH and /usr/lib/postgresql/<n>/bin, newest first). */
  binDir: z.string().optional(),
  /** Base backups and WAL archiving for recovery to a point in time (`cutover db base-backup`, `cutover db recover`). */
  pitr: pitr.optional(),
});

const errorRate = z.strictObject({
  /** Time between the two counter snapshots (default 30s). */
  windowMs: durationMs().default(DEFAULT_ERROR_RATE_WINDOW_MS),
  /** Highest share of 5xx responses in the window, 0..1 (default 0.01). */
  maxErrorRate: z.number().min(0).max(1).default(DEFAULT_ERROR_RATE_MAX),
  /** Fewer requests than this in the window make the result inconclusive (default 20). */
  minRequests: z.number().int().min(1).default(DEFAULT_ERROR_RATE_MIN_REQUESTS),
  /** What an inconclusive window does: fail the validation (default) or record it as skipped. */
  onInconclusive: z.enum(['fail', 'skip']).default('fail'),
});

const validationHttp = z.strictObject({
  name: checkName.optional(),
  /** Where to send it: through the proxy, to every new instance, or both (default both). */
  via: z.enum(['proxy', 'instances', 'both']).default('both'),
  method: z.string().default('GET'),
  path: z.string().startsWith('/'),
  headers,
  body: z.string().optional(),
  expectStatus: statusList.optional(),
  bodyIncludes: z.string().optional(),
  timeoutMs: durationMs().default(DEFAULT_CHECK_TIMEOUT_MS),
  /** Tries before the check fails (default 1). */
  attempts: z.number().int().min(1).max(100).default(DEFAULT_VALIDATION_ATTEMPTS),
  retryDelayMs: durationMs().default(DEFAULT_VALIDATION_RETRY_DELAY_MS),
});

const validation = z.strictObject({
  http: z.array(validationHttp).default([]).superRefine(uniqueNames),
  dependencies: z.array(dependencyCheckSchema).default([]).superRefine(uniqueNames),
  errorRate: errorRate.optional(),
  /** A load offered to the new release and judged (rate held, p95, error rate): docs/load-tests.md. */
  loadTest: loadTestSchema.optional(),
});

const accessory = z.strictObject({
  kind: z.enum(['postgres', 'redis']),
  /** The server the service should use; when unreachable, a private one is started (see start). */
  url: z.string().optional(),
  urlEnv: envName.optional(),
  host: z.string().optional(),
  port: port.optional(),
  /** Start a private server from local binaries when the declared one is unreachable (default true). */
  start: z.boolean().default(true),
  /** PostgreSQL only: database created in a private server (default: the service name, dashes as underscores). */
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
    .optional(),
  /** Env var the service reads the URL from (e.g. DATABASE_URL); reported with the URL. */
  env: envName.optional(),
  startTimeoutMs: durationMs().default(DEFAULT_ACCESSORY_START_TIMEOUT_MS),
});

export const checksSectionsSchema = {
  backup: backup.optional(),
  checks: z.array(checkSpecSchema).superRefine(uniqueNames).optional(),
  validation: validation.optional(),
  accessories: z.record(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'), accessory).optional(),
};

export type CheckSpec = z.output<typeof checkSpecSchema>;
export type DependencyCheckSpec = z.output<typeof dependencyCheckSchema>;
export type BackupConfig = z.output<typeof backup>;
export type PitrConfig = z.output<typeof pitr>;
export type ValidationConfig = z.output<typeof validation>;
export type ValidationHttpConfig = z.output<typeof validationHttp>;
export type ErrorRateConfig = z.output<typeof errorRate>;
export type AccessoryConfig = z.output<typeof accessory>;
