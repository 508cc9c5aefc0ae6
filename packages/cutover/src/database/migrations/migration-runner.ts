import { CutoverError } from '../../errors/cutover-error.ts';
import { hasBlockingFindings, lintMigration } from '../lint/lint-migration.ts';
import type { LintFinding } from '../lint/lint-rule.ts';
import { acquireMigrationLock, findMigrationLockHolder, releaseMigrationLock } from './advisory-lock.ts';
import { findMigration, type PlannedMigration, planMigration, selectDown, selectPendingUp } from './build-migration-plan.ts';
import { buildMigrationStatus, type MigrationStatus, type MigrationStatusEntry } from './build-migration-status.ts';
import { type ExecutedMigration, executeMigration, type LockTimeoutEvent, type MigrationFailure } from './execute-migration.ts';
import type { HistoryRow } from './history-row.ts';
import { ensureHistoryTable, readHistory } from './history-table.ts';
import { loadMigrationFiles } from './load-migrations.ts';
import { describeLockHolder, type LockHolder } from './lock-holder.ts';
import type { MigrationFile } from './migration-file.ts';
import { type MigrationSession, openMigrationSession } from './migration-session.ts';
import type { MigrationSettings } from './migration-settings.ts';

/**
 * How a run ended. Only `applied` and `up-to-date` changed nothing wrongly; every other outcome
 * is an expected condition reported as a value (the CLI maps it to an exit code):
 * locked (another run held the lock past lockWaitMs), drift (an applied file changed),
 * lint-blocked (findings without allow), irreversible (down without a down section),
 * failed (a statement failed; history records where).
 */
export type MigrationRunOutcome = 'applied' | 'up-to-date' | 'locked' | 'drift' | 'lint-blocked' | 'irreversible' | 'failed';

export interface MigrationRunResult {
  outcome: MigrationRunOutcome;
  direction: 'up' | 'down';
  /** Migrations applied (or reverted) by this run, in order. */
  executed: ExecutedMigration[];
  /** Pending contract migrations left for `up --contract`. */
  skippedContract: string[];
  failure: MigrationFailure | null;
  /** Every lock timeout met, with the blocking sessions: kept for the deployment record. */
  lockTimeouts: LockTimeoutEvent[];
  lockHolder: LockHolder | null;
  lockWaitedMs: number;
  lintFindings: LintFinding[];
  /** Applied migrations whose file changed or vanished (outcome drift). */
  drift: MigrationStatusEntry[];
  /** Migrations that `down` would need but that have no down section (outcome irreversible). */
  irreversible: string[];
  serverVersionNum: number;
}

export interface RunHooks {
  log?: (message: string) => void;
  signal?: AbortSignal;
}

export interface UpRequest {
  /** Also apply migrations marked `-- cutover:contract`. */
  contract?: boolean;
  /** Stop after this migration id (inclusive). */
  targetId?: string;
}

export interface DownRequest {
  /** Number of applied migrations to revert, newest first (default 1). */
  steps?: number;
  /** Revert every applied migration above this id. */
  targetId?: string;
}

function emptyResult(direction: 'up' | 'down', serverVersionNum: number): MigrationRunResult {
  return {
    outcome: 'up-to-date',
    direction,
    executed: [],
    skippedContract: [],
    failure: null,
    lockTimeouts: [],
    lockHolder: null,
    lockWaitedMs: 0,
    lintFindings: [],
    drift: [],
    irreversible: [],
    serverVersionNum,
  };
}

/** Opens a session, takes the migrations lock (bounded wait), runs `body`, always releases. */
async function withLock(
  settings: MigrationSettings,
  hooks: RunHooks,
  direction: 'up' | 'down',
  body: (session: MigrationSession, files: MigrationFile[], history: HistoryRow[], result: MigrationRunResult) => Promise<void>,
): Promise<MigrationRunResult> {
  const files = loadMigrationFiles(settings.directory);
  const session = await openMigrationSession(settings.databaseUrl);
  const result = emptyResult(direction, session.serverVersionNum);
  try {
    const attempt = await acquireMigrationLock(session.control, {
      lockWaitMs: settings.lockWaitMs,
      signal: hooks.signal,
      onWait: (holder) =>
        hooks.log?.(
          `waiting up to ${settings.lockWaitMs}ms for the migrations lock held by ${holder ? describeLockHolder(holder) : 'another session'}`,
        ),
    });
    result.lockWaitedMs = attempt.waitedMs;
    if (!attempt.acquired) {
      result.outcome = 'locked';
      result.lockHolder = attempt.holder;
      return result;
    }
    try {
      await ensureHistoryTable(session.ddl);
      const history = await readHistory(session.ddl);
      const status = buildMigrationStatus(files, history, null);
      result.drift = status.migrations.filter((m) => m.state === 'drift' || m.state === 'missing');
      if (result.drift.length > 0) {
        result.outcome = 'drift';
        return result;
      }
      await body(session, files, history, result);
    } finally {
      await releaseMigrationLock(session.control).catch(() => {});
    }
    return result;
  } finally {
    await session.close();
  }
}

async function executeAll(
  session: MigrationSession,
  settings: MigrationSettings,
  hooks: RunHooks,
  plans: PlannedMigration[],
  result: MigrationRunResult,
): Promise<void> {
  for (const plan of plans) {
    hooks.log?.(
      `${plan.direction === 'up' ? 'applying' : 'reverting'} ${plan.name}${plan.resumeFromUnit > 0 ? ` (resuming after ${plan.resumeFromUnit} committed units)` : ''}`,
    );
    const outcome = await executeMigration(
      {
        ddl: session.ddl,
        ddlPid: session.ddlPid,
        monitor: session.control,
        appliedBy: settings.appliedBy,
        backoff: { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs },
        log: (m) => hooks.log?.(m),
        onLockTimeout: (event) => {
          result.lockTimeouts.push(event);
          for (const b of event.blockers) hooks.log?.(`  blocked by ${describeLockHolder(b)}`);
        },
        signal: hooks.signal,
      },
      plan,
    );
    if (!outcome.ok) {
      result.outcome = 'failed';
      result.failure = outcome.failure;
      hooks.log?.(`${plan.name} failed at line ${outcome.failure.line ?? '?'}: ${outcome.failure.message}`);
      return;
    }
    result.executed.push(outcome.migration);
    result.outcome = 'applied';
    hooks.log?.(`${plan.direction === 'up' ? 'applied' : 'reverted'} ${plan.name} in ${outcome.migration.durationMs}ms`);
  }
}

/** Lints and applies pending migrations in id order (contract ones only when asked). */
export async function runMigrationsUp(
  settings: MigrationSettings,
  request: UpRequest = {},
  hooks: RunHooks = {},
): Promise<MigrationRunResult> {
  return withLock(settings, hooks, 'up', async (session, files, history, result) => {
    const contract = request.contract ?? false;
    const pending = selectPendingUp(files, history, { contract, targetId: request.targetId });
    result.skippedContract = selectPendingUp(files, history, { contract: true, targetId: request.targetId })
      .filter((p) => p.file.kind === 'contract' && !contract)
      .map((p) => p.file.name);
    result.lintFindings = pending.flatMap((p) =>
      lintMigration(p.file, { serverVersionNum: session.serverVersionNum, ruleSettings: settings.lintRules }),
    );
    if (hasBlockingFindings(result.lintFindings)) {
      result.outcome = 'lint-blocked';
      return;
    }
    const plans = pending.map((p) => planMigration(p.file, 'up', settings, session.serverVersionNum, p.resumeFromUnit, p.retrying));
    await executeAll(session, settings, hooks, plans, result);
  });
}

/** Reverts applied migrations, newest first, with their down sections. Refuses before any change if one has none. */
export async function runMigrationsDown(
  settings: MigrationSettings,
  request: DownRequest = {},
  hooks: RunHooks = {},
): Promise<MigrationRunResult> {
  return withLock(settings, hooks, 'down', async (session, files, history, result) => {
    const rows = selectDown(history, request);
    const targets = rows.map((row) => files.find((f) => f.id === row.id)!);
    result.irreversible = targets.filter((f) => f.down === null).map((f) => f.name);
    if (result.irreversible.length > 0) {
      result.outcome = 'irreversible';
      return;
    }
    const plans = targets.map((f) => planMigration(f, 'down', settings, session.serverVersionNum));
    await executeAll(session, settings, hooks, plans, result);
  });
}

/** Moves the database to exactly the migrations up to `target`: reverts newer ones, applies older pending ones. */
export async function runMigrationsTo(
  settings: MigrationSettings,
  target: string,
  request: { contract?: boolean } = {},
  hooks: RunHooks = {},
): Promise<MigrationRunResult> {
  const file = findMigration(loadMigrationFiles(settings.directory), target);
  if (!file) throw unknownTarget(target, settings.directory);
  const down = await runMigrationsDown(settings, { targetId: file.id }, hooks);
  if (down.outcome !== 'up-to-date' && down.outcome !== 'applied') return down;
  const up = await runMigrationsUp(settings, { contract: request.contract, targetId: file.id }, hooks);
  return { ...up, executed: [...down.executed, ...up.executed], lockTimeouts: [...down.lockTimeouts, ...up.lockTimeouts] };
}

/** Files joined with history, plus who holds the lock. Takes no lock and changes nothing. */
export async function readMigrationStatus(settings: MigrationSettings): Promise<MigrationStatus> {
  const files = loadMigrationFiles(settings.directory);
  const session = await openMigrationSession(settings.databaseUrl);
  try {
    const history = await readHistory(session.ddl);
    return buildMigrationStatus(files, history, await findMigrationLockHolder(session.control));
  } finally {
    await session.close();
  }
}

export interface PlanReport {
  migrations: PlannedMigration[];
  lintFindings: LintFinding[];
  skippedContract: string[];
  serverVersionNum: number;
}

/** What `up` would do, statement by statement, without doing it. */
export async function planPendingMigrations(settings: MigrationSettings, request: UpRequest = {}): Promise<PlanReport> {
  const files = loadMigrationFiles(settings.directory);
  const session = await openMigrationSession(settings.databaseUrl);
  try {
    const history = await readHistory(session.ddl);
    const contract = request.contract ?? false;
    const pending = selectPendingUp(files, history, { contract, targetId: request.targetId });
    const v = session.serverVersionNum;
    return {
      migrations: pending.map((p) => planMigration(p.file, 'up', settings, v, p.resumeFromUnit, p.retrying)),
      lintFindings: pending.flatMap((p) => lintMigration(p.file, { serverVersionNum: v, ruleSettings: settings.lintRules })),
      skippedContract: contract
        ? []
        : files.filter((f) => f.kind === 'contract' && !history.some((h) => h.id === f.id && h.status === 'applied')).map((f) => f.name),
      serverVersionNum: v,
    };
  } finally {
    await session.close();
  }
}

export function unknownTarget(target: string, directory: string): CutoverError {
  return new CutoverError('CUT_ERR_MIGRATE_UNKNOWN_TARGET', `no migration matches "${target}"`, {
    where: directory,
    hint: 'give a migration number (7 or 0007) or file name without .sql; "cutover migrate status" lists them',
  });
}
