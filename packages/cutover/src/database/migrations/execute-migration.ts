import type pg from 'pg';
import { watchBlockers } from './blocker-watch.ts';
import type { PlannedMigration, PlannedStatement, TransactionUnit } from './build-migration-plan.ts';
import { buildDropInvalidIndex, indexValidity } from './concurrent-index.ts';
import { buildDeleteHistory, buildRecordFailure, buildRecordProgress, type HistoryEntry, type SqlQuery } from './history-table.ts';
import type { LockHolder } from './lock-holder.ts';
import { lockRetryDelayMs, type RetryBackoff } from './lock-retry-backoff.ts';

/** SQLSTATE of lock_timeout expiring (lock_not_available). */
export const LOCK_NOT_AVAILABLE = '55P03';

/** One lock timeout met while applying a migration, with the sessions that were in the way. */
export interface LockTimeoutEvent {
  migrationId: string;
  line: number;
  attempt: number;
  waitedMs: number;
  blockers: LockHolder[];
  /** Backoff before the next attempt; null when the retries were exhausted. */
  retryInMs: number | null;
}

export interface MigrationFailure {
  migrationId: string;
  name: string;
  line: number | null;
  sqlstate: string | null;
  message: string;
  /** Sessions seen blocking the failed statement. */
  blockers: LockHolder[];
  /** Name of an INVALID index a CONCURRENTLY build left behind (dropped by the next run). */
  invalidIndex?: string;
}

export interface ExecutedMigration {
  id: string;
  name: string;
  kind: 'expand' | 'contract';
  direction: 'up' | 'down';
  durationMs: number;
  statements: number;
  /** Lock-timeout retries this migration needed. */
  retries: number;
}

export interface ExecuteContext {
  /** Runs the migration's statements. */
  ddl: pg.ClientBase;
  ddlPid: number;
  /** Another session (the one holding the migrations lock): watches blockers, cancels on abort. */
  monitor: pg.ClientBase;
  appliedBy: string;
  backoff: RetryBackoff;
  log: (message: string) => void;
  onLockTimeout: (event: LockTimeoutEvent) => void;
  signal?: AbortSignal;
}

type Outcome = { ok: true; migration: ExecutedMigration } | { ok: false; failure: MigrationFailure };

/**
 * Applies (or reverts) one planned migration, unit by unit. Transactional units run between
 * BEGIN and COMMIT with SET LOCAL timeouts and record their progress in the same transaction, so
 * history can never claim work that was rolled back. Non-transactional statements run alone with
 * session timeouts; a CONCURRENTLY build first drops an INVALID leftover and afterwards checks
 * pg_index.indisvalid. A lock timeout (55P03) rolls the unit back and retries it with backoff,
 * timeouts re-applied each time, up to the migration's lockRetries.
 */
export async function executeMigration(ctx: ExecuteContext, plan: PlannedMigration): Promise<Outcome> {
  const started = performance.now();
  const entry: HistoryEntry = { id: plan.id, name: plan.name, checksum: plan.checksum, kind: plan.kind, appliedBy: ctx.appliedBy };
  const units = plan.units;
  const tracksProgress = plan.direction === 'up' && (plan.retrying || units.some((u) => !u.transactional));
  if (tracksProgress) await run(ctx.ddl, buildRecordProgress(entry, 'running', plan.resumeFromUnit, null));
  let retries = 0;
  for (let index = plan.resumeFromUnit; index < units.length || (index === 0 && units.length === 0); index++) {
    const unit: TransactionUnit = units[index] ?? { transactional: true, statements: [] };
    const finishing = index >= units.length - 1;
    const record = (durationMs: number): SqlQuery => {
      if (plan.direction === 'down') return finishing ? buildDeleteHistory(plan.id) : { text: 'select 1', values: [] };
      return buildRecordProgress(entry, finishing ? 'applied' : 'running', index + 1, finishing ? durationMs : null);
    };
    for (let attempt = 0; ; attempt++) {
      const result = unit.transactional
        ? await runTransactionUnit(ctx, plan, unit, record, started)
        : await runLoneStatement(ctx, plan, unit.statements[0], record, started, plan.retrying);
      if (result.ok) break;
      const canRetry = result.sqlstate === LOCK_NOT_AVAILABLE && attempt < plan.timeouts.lockRetries && !ctx.signal?.aborted;
      if (result.sqlstate === LOCK_NOT_AVAILABLE) {
        const retryInMs = canRetry ? lockRetryDelayMs(attempt, ctx.backoff) : null;
        ctx.onLockTimeout({
          migrationId: plan.id,
          line: result.line ?? 0,
          attempt: attempt + 1,
          waitedMs: result.waitedMs,
          blockers: result.blockers,
          retryInMs,
        });
        if (retryInMs !== null) {
          retries++;
          ctx.log(`${plan.name}: lock timeout at line ${result.line} (attempt ${attempt + 1}); retrying in ${retryInMs}ms`);
          await sleep(retryInMs, ctx.signal);
          continue;
        }
      }
      const failure: MigrationFailure = {
        migrationId: plan.id,
        name: plan.name,
        line: result.line,
        sqlstate: result.sqlstate,
        message: result.message,
        blockers: result.blockers,
        ...(result.invalidIndex ? { invalidIndex: result.invalidIndex } : {}),
      };
      if (plan.direction === 'up') await run(ctx.ddl, buildRecordFailure(entry, index, result.message, result.line)).catch(() => {});
      return { ok: false, failure };
    }
    if (units.length === 0) break;
  }
  return {
    ok: true,
    migration: {
      id: plan.id,
      name: plan.name,
      kind: plan.kind,
      direction: plan.direction,
      durationMs: Math.round(performance.now() - started),
      statements: units.reduce((n, u) => n + u.statements.length, 0),
      retries,
    },
  };
}

type UnitResult =
  | { ok: true }
  | {
      ok: false;
      sqlstate: string | null;
      message: string;
      line: number | null;
      waitedMs: number;
      blockers: LockHolder[];
      invalidIndex?: string;
    };

async function runTransactionUnit(
  ctx: ExecuteContext,
  plan: PlannedMigration,
  unit: TransactionUnit,
  record: (durationMs: number) => SqlQuery,
  started: number,
): Promise<UnitResult> {
  const { lockTimeoutMs, statementTimeoutMs } = plan.timeouts;
  await ctx.ddl.query('begin');
  try {
    await ctx.ddl.query(
      `set local lock_timeout = ${Math.round(lockTimeoutMs)}; set local statement_timeout = ${Math.round(statementTimeoutMs)}`,
    );
    for (const statement of unit.statements) {
      const failed = await runWatched(ctx, plan, statement);
      if (failed) {
        await ctx.ddl.query('rollback').catch(() => {});
        return failed;
      }
    }
    await run(ctx.ddl, record(Math.round(performance.now() - started)));
    await ctx.ddl.query('commit');
    return { ok: true };
  } catch (error) {
    await ctx.ddl.query('rollback').catch(() => {});
    return { ok: false, ...describeError(error), line: null, waitedMs: 0, blockers: [] };
  }
}

async function runLoneStatement(
  ctx: ExecuteContext,
  plan: PlannedMigration,
  statement: PlannedStatement,
  record: (durationMs: number) => SqlQuery,
  started: number,
  resuming: boolean,
): Promise<UnitResult> {
  const { lockTimeoutMs, statementTimeoutMs } = plan.timeouts;
  const indexName = statement.class.concurrentIndexName;
  await ctx.ddl.query(`set lock_timeout = ${Math.round(lockTimeoutMs)}; set statement_timeout = ${Math.round(statementTimeoutMs)}`);
  try {
    let skip = false;
    if (indexName) {
      const validity = await indexValidity(ctx.ddl, indexName);
      if (validity === 'invalid') {
        ctx.log(`${plan.name}: dropping INVALID index ${indexName} left by an earlier build, then rebuilding it`);
        await ctx.ddl.query(buildDropInvalidIndex(indexName));
      } else if (validity === 'valid' && resuming) {
        // The build finished but the run died before recording it: nothing left to do.
        skip = true;
      }
    }
    if (!skip) {
      const failed = await runWatched(ctx, plan, statement);
      if (failed) {
        if (indexName && (await indexValidity(ctx.ddl, indexName).catch(() => 'missing')) === 'invalid') failed.invalidIndex = indexName;
        return failed;
      }
      if (indexName && (await indexValidity(ctx.ddl, indexName)) === 'invalid') {
        return {
          ok: false,
          sqlstate: null,
          message: `index ${indexName} is INVALID after its concurrent build`,
          line: statement.line,
          waitedMs: 0,
          blockers: [],
          invalidIndex: indexName,
        };
      }
    }
    await run(ctx.ddl, record(Math.round(performance.now() - started)));
    return { ok: true };
  } catch (error) {
    return { ok: false, ...describeError(error), line: statement.line, waitedMs: 0, blockers: [] };
  } finally {
    await ctx.ddl.query('reset lock_timeout; reset statement_timeout').catch(() => {});
  }
}

/** Runs one statement while sampling its blockers; returns a failure or undefined. */
async function runWatched(
  ctx: ExecuteContext,
  plan: PlannedMigration,
  statement: PlannedStatement,
): Promise<(UnitResult & { ok: false }) | undefined> {
  const intervalMs = Math.min(500, Math.max(50, Math.round(plan.timeouts.lockTimeoutMs / 4)));
  const watch = watchBlockers(ctx.monitor, ctx.ddlPid, intervalMs);
  const onAbort = () => {
    ctx.monitor.query('select pg_cancel_backend($1)', [ctx.ddlPid]).catch(() => {});
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  try {
    await ctx.ddl.query(statement.sql);
    await watch.stop();
    return undefined;
  } catch (error) {
    const blockers = await watch.stop();
    return { ok: false, ...describeError(error), line: statement.line, waitedMs: Math.round(performance.now() - started), blockers };
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

function describeError(error: unknown): { sqlstate: string | null; message: string } {
  const e = error as { code?: unknown; message?: unknown };
  return { sqlstate: typeof e.code === 'string' ? e.code : null, message: String(e.message ?? error) };
}

async function run(client: pg.ClientBase, query: SqlQuery): Promise<void> {
  await client.query(query.text, query.values);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
