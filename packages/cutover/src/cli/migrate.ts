import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { hasBlockingFindings, lintMigration } from '../database/lint/lint-migration.ts';
import type { LintFinding } from '../database/lint/lint-rule.ts';
import type { MigrationStatus } from '../database/migrations/build-migration-status.ts';
import { loadMigrationFiles } from '../database/migrations/load-migrations.ts';
import { describeLockHolder } from '../database/migrations/lock-holder.ts';
import { parseMigrationFile } from '../database/migrations/migration-file.ts';
import {
  type MigrationRunResult,
  type PlanReport,
  planPendingMigrations,
  readMigrationStatus,
  runMigrationsDown,
  runMigrationsTo,
  runMigrationsUp,
} from '../database/migrations/migration-runner.ts';
import { type MigrationSettings, resolveMigrationSettings } from '../database/migrations/migration-settings.ts';
import { repairMigrations } from '../database/migrations/repair-migrations.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { resolveRelease } from '../releases/release-resolver.ts';
import type { Command, CommandContext } from './command.ts';
import { formatMs, type Output } from './output.ts';

const SUBCOMMANDS = ['status', 'plan', 'up', 'down', 'to', 'lint', 'repair'] as const;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'database migrations: status, plan, up, down, to <id>, lint, repair',
  usage: 'cutover migrate <status|plan|up|down|to <id>|lint [file...]|repair> [options]',
  description: [
    'Runs the SQL migrations of the `migrations` section of cutover.yml (see docs/migrations.md).',
    '  status         applied/pending/failed/drift per migration; exit 0 up to date, 3 pending, 4 failed, 5 drift, 6 locked',
    '  plan           each pending statement with its lock level, transaction boundaries and lint findings',
    '  up             lint, then apply pending expand migrations (--contract: contract ones too)',
    '  down           revert the newest applied migration (--steps N for more)',
    '  to <id>        revert or apply until exactly the migrations up to <id> are applied',
    '  lint [file...] lint pending migrations (--all: every file, without connecting); with files: those files, without a',
    '                 database or a cutover.yml; exit 7 when findings block',
    '  repair         accept edited applied migrations (--reason required), or resolve a failed one: repair <id> --mark applied|rolled-back',
  ].join('\n'),
  options: {
    contract: { type: 'boolean', help: 'include migrations marked -- cutover:contract (run after full promotion)' },
    steps: { type: 'string', help: 'down: how many migrations to revert (default: 1)' },
    reason: { type: 'string', help: 'repair: why the change is acceptable (required, recorded in history)' },
    mark: { type: 'string', help: 'repair <id>: applied or rolled-back' },
    all: { type: 'boolean', help: 'lint: every migration file, not only pending ones (no database needed)' },
    release: { type: 'string', help: 'whose migrations to use when migrations.directory contains {releaseDir}' },
  },
  exitCodes: {
    3: 'status: migrations are pending',
    4: 'a migration failed',
    5: 'an applied migration changed (drift)',
    6: 'another run holds the migrations lock',
    7: 'lint findings block',
    8: 'cannot connect to the database',
    9: 'a migration to revert has no down section',
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', sub ? `unknown migrate subcommand "${sub}"` : 'migrate needs a subcommand', {
        hint: `use one of: ${SUBCOMMANDS.join(', ')} (cutover migrate --help)`,
      });
    }
    if (sub === 'lint' && rest.length > 0) return lintFiles(ctx, rest);
    const loaded = loadConfig(ctx.cwd, ctx.options.config as string | undefined);
    if (sub === 'lint' && ctx.options.all) return lintAll(ctx, loaded.config.migrations?.directory, loaded.root);
    const release = ctx.options.release as string | undefined;
    const releaseDir = release ? await resolveRelease(loaded, release, agentPaths(loaded.dataDir).releasesDir) : undefined;
    const settings = resolveMigrationSettings(loaded, process.env, releaseDir);
    if (!settings) {
      throw new CutoverError('CUT_ERR_MIGRATE_NOT_CONFIGURED', `${loaded.file} has no migrations section`, {
        where: loaded.file,
        hint: 'add migrations: { directory: migrations, databaseUrlEnv: DATABASE_URL } (docs/migrations.md)',
      });
    }
    const contract = Boolean(ctx.options.contract);
    const log = (m: string) => ctx.out.line(m);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      switch (sub) {
        case 'status':
          return printStatus(ctx.out, await readMigrationStatus(settings));
        case 'plan':
          return printPlan(ctx.out, await planPendingMigrations(settings, { contract }));
        case 'lint': {
          const report = await planPendingMigrations(settings, { contract: true });
          return printFindings(ctx.out, report.lintFindings, report.migrations.length);
        }
        case 'up':
          return finishRun(ctx.out, await runMigrationsUp(settings, { contract }, { log, signal: controller.signal }));
        case 'down': {
          const steps = ctx.options.steps === undefined ? 1 : Number(ctx.options.steps);
          if (!Number.isInteger(steps) || steps < 1) throw badArgument('--steps must be a whole number of at least 1');
          return finishRun(ctx.out, await runMigrationsDown(settings, { steps }, { log, signal: controller.signal }));
        }
        case 'to': {
          if (!rest[0]) throw badArgument('migrate to needs a migration id, e.g. cutover migrate to 0007');
          return finishRun(ctx.out, await runMigrationsTo(settings, rest[0], { contract }, { log, signal: controller.signal }));
        }
        default:
          return repair(ctx, settings, rest[0]);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

function badArgument(message: string): CutoverError {
  return new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', message, { hint: 'cutover migrate --help lists the options' });
}

async function repair(ctx: CommandContext, settings: MigrationSettings, id: string | undefined): Promise<number> {
  const mark = ctx.options.mark as string | undefined;
  if (mark !== undefined && mark !== 'applied' && mark !== 'rolled-back') throw badArgument('--mark must be applied or rolled-back');
  if (mark !== undefined && id === undefined) throw badArgument('--mark needs a migration id: cutover migrate repair <id> --mark applied');
  const result = await repairMigrations(settings, { reason: String(ctx.options.reason ?? ''), id, mark });
  if (result.outcome === 'locked') return finishRun(ctx.out, { ...lockedRun(), lockHolder: result.lockHolder });
  ctx.out.result(result);
  if (result.repaired.length === 0) ctx.out.line('nothing to repair: no applied migration differs from its file');
  for (const r of result.repaired)
    ctx.out.line(`repaired ${r.name}: ${r.action}${r.checksum ? ` (checksum ${r.checksum.slice(0, 12)})` : ''}`);
  return 0;
}

function lockedRun(): MigrationRunResult {
  return {
    outcome: 'locked',
    direction: 'up',
    executed: [],
    skippedContract: [],
    failure: null,
    lockTimeouts: [],
    lockHolder: null,
    lockWaitedMs: 0,
    lintFindings: [],
    drift: [],
    irreversible: [],
    serverVersionNum: 0,
  };
}

/** `migrate lint <file>...`: lints the files named, with no database and no cutover.yml (its lint rule settings apply when there is one). */
function lintFiles(ctx: CommandContext, paths: readonly string[]): number {
  let ruleSettings: Record<string, 'error' | 'warning' | 'off'> | undefined;
  const configPath = (ctx.options.config as string | undefined) ?? 'cutover.yml';
  if (existsSync(resolve(ctx.cwd, configPath))) ruleSettings = loadConfig(ctx.cwd, configPath).config.migrations?.lint.rules;
  const findings = paths.flatMap((path) => {
    const file = resolve(ctx.cwd, path);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CutoverError('CUT_ERR_MIGRATE_FILE_INVALID', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
        where: file,
        hint: 'name an existing .sql file: cutover migrate lint migrations/0003_add_index.sql',
      });
    }
    // A file outside a migrations directory need not be named NNNN_slug.sql to be linted.
    const name = /^\d+_[^/]+\.sql$/.test(basename(file)) ? basename(file) : `0000_${basename(file).replace(/[^A-Za-z0-9_]+/g, '_')}.sql`;
    return lintMigration(parseMigrationFile(name, text), { ruleSettings }).map((finding) => ({ ...finding, file: path }));
  });
  return printFindings(ctx.out, findings, paths.length);
}

function lintAll(ctx: CommandContext, directory: string | undefined, root: string): number {
  const files = loadMigrationFiles(resolve(root, directory ?? 'migrations'));
  return printFindings(
    ctx.out,
    files.flatMap((f) => lintMigration(f)),
    files.length,
  );
}

/** The error a non-ok run ends with: its code carries the exit code. */
export function runError(result: MigrationRunResult): CutoverError | undefined {
  switch (result.outcome) {
    case 'applied':
    case 'up-to-date':
      return undefined;
    case 'locked':
      return new CutoverError('CUT_ERR_MIGRATE_LOCKED', `another migrations run holds the lock (waited ${formatMs(result.lockWaitedMs)})`, {
        where: result.lockHolder ? describeLockHolder(result.lockHolder) : undefined,
        hint: 'wait for that run to finish; if its process is gone, its session ends and frees the lock by itself',
        details: { lockHolder: result.lockHolder },
      });
    case 'drift':
      return new CutoverError(
        'CUT_ERR_MIGRATE_DRIFT',
        `applied migration(s) changed since they ran: ${result.drift.map((d) => `${d.name} (${d.state})`).join(', ')}`,
        {
          hint: 'restore the files as they were applied, or accept the change: cutover migrate repair --reason "..."',
          details: { drift: result.drift },
        },
      );
    case 'lint-blocked':
      return lintBlocked(result.lintFindings, '; nothing was applied');
    case 'irreversible':
      return new CutoverError(
        'CUT_ERR_MIGRATE_IRREVERSIBLE',
        `no down section in ${result.irreversible.join(', ')}; nothing was reverted`,
        {
          hint: 'write a -- migrate:down section, or restore the pre-deploy backup instead',
          details: { irreversible: result.irreversible },
        },
      );
    case 'failed': {
      const f = result.failure!;
      return new CutoverError('CUT_ERR_MIGRATE_FAILED', `${f.name} failed${f.line ? ` at line ${f.line}` : ''}: ${f.message}`, {
        where: f.line ? `${f.name}.sql:${f.line}` : f.name,
        hint: f.invalidIndex
          ? `the next run drops the INVALID index ${f.invalidIndex} and rebuilds it; fix the cause, then run cutover migrate up`
          : 'fix the cause and run cutover migrate up again: it resumes after the last committed transaction',
        details: { failure: f },
      });
    }
  }
}

function lintBlocked(findings: readonly LintFinding[], suffix = ''): CutoverError {
  const blocking = findings.filter((f) => f.blocking);
  return new CutoverError('CUT_ERR_MIGRATE_LINT_BLOCKED', `${blocking.length} lint finding(s) block the migrations${suffix}`, {
    where: blocking[0] ? `${blocking[0].file}:${blocking[0].line}` : undefined,
    hint: 'apply the safe alternative, or accept a finding with -- cutover:allow <rule-id> <reason> in the migration (docs/lint-rules.md)',
    details: { findings: blocking },
  });
}

/** A migration status that is not up to date, as the error its exit code stands for. */
function statusError(status: MigrationStatus): CutoverError | undefined {
  const names = (state: string) => status.migrations.filter((m) => m.state === state).map((m) => m.name);
  switch (status.state) {
    case 'up-to-date':
      return undefined;
    case 'pending':
      return new CutoverError(
        'CUT_ERR_MIGRATE_PENDING',
        `${status.pendingExpand} expand and ${status.pendingContract} contract migration(s) are pending`,
        {
          hint: 'apply them with "cutover migrate up" (a deploy does it too)',
        },
      );
    case 'failed':
      return new CutoverError('CUT_ERR_MIGRATE_FAILED', `migration(s) failed: ${names('failed').join(', ')}`, {
        hint: 'fix the cause and run "cutover migrate up" again: it resumes after the last committed transaction',
      });
    case 'drift':
      return new CutoverError('CUT_ERR_MIGRATE_DRIFT', 'applied migration(s) changed since they ran', {
        hint: 'restore the files as they were applied, or accept the change: cutover migrate repair --reason "..."',
      });
    case 'locked':
      return new CutoverError('CUT_ERR_MIGRATE_LOCKED', 'another migrations run holds the lock', {
        where: status.lockHolder ? describeLockHolder(status.lockHolder) : undefined,
        hint: 'wait for that run to finish',
      });
  }
}

function finishRun(out: Output, result: MigrationRunResult): number {
  const error = runError(result);
  if (out.json) {
    out.result({ ...result, error: error?.toJSON() ?? null });
    return error?.exitCode ?? 0;
  }
  if (result.lintFindings.length > 0) printFindingLines(out, result.lintFindings);
  for (const name of result.skippedContract)
    out.warn(`contract migration ${name} is pending: it runs with cutover migrate up --contract after full promotion`);
  if (!error) {
    if (result.executed.length === 0) out.line(result.direction === 'up' ? 'migrations are up to date' : 'nothing to revert');
    else out.line(`${result.direction === 'up' ? 'applied' : 'reverted'} ${result.executed.length} migration(s)`);
    return 0;
  }
  out.error(error);
  return error.exitCode;
}

function printStatus(out: Output, status: MigrationStatus): number {
  const error = statusError(status);
  if (error && out.json) return out.failure({ ...status }, error);
  out.result(status);
  const width = Math.max(4, ...status.migrations.map((m) => m.name.length));
  for (const m of status.migrations) {
    const when = m.appliedAt ? `${m.appliedAt.slice(0, 19).replace('T', ' ')} by ${m.appliedBy}` : '';
    const extra =
      m.state === 'failed' ? `line ${m.failedLine ?? '?'}: ${m.error}` : m.repairedReason ? `repaired: ${m.repairedReason}` : '';
    out.line(`${m.state.padEnd(8)} ${m.name.padEnd(width)} ${m.kind.padEnd(8)} ${when} ${extra}`.trimEnd());
  }
  if (status.lockHolder) out.line(`locked by ${describeLockHolder(status.lockHolder)}`);
  out.line(`${status.state} (exit ${status.exitCode}); pending: ${status.pendingExpand} expand, ${status.pendingContract} contract`);
  return status.exitCode;
}

function printPlan(out: Output, report: PlanReport): number {
  if (out.json && hasBlockingFindings(report.lintFindings)) return out.failure({ ...report }, lintBlocked(report.lintFindings));
  out.result(report);
  if (report.migrations.length === 0) out.line('nothing pending');
  for (const m of report.migrations) {
    out.line(
      `${m.name} (${m.kind}; lock_timeout ${formatMs(m.timeouts.lockTimeoutMs)}, statement_timeout ${formatMs(m.timeouts.statementTimeoutMs)}, ${m.timeouts.lockRetries} retries)`,
    );
    m.units.forEach((unit, i) => {
      const done = i < m.resumeFromUnit ? ' [already committed]' : '';
      out.line(unit.transactional ? `  BEGIN${done}` : `  -- outside any transaction${done}`);
      for (const s of unit.statements)
        out.line(`    L${String(s.line).padEnd(4)} ${s.class.lockLevel.padEnd(22)} ${s.sql.replace(/\s+/g, ' ').slice(0, 100)}`);
      if (unit.transactional) out.line('  COMMIT');
    });
  }
  for (const name of report.skippedContract) out.line(`(contract migration ${name} waits for cutover migrate up --contract)`);
  if (report.lintFindings.length > 0) printFindingLines(out, report.lintFindings);
  return hasBlockingFindings(report.lintFindings) ? 7 : 0;
}

function printFindings(out: Output, findings: LintFinding[], migrations: number): number {
  const result = { migrations, findings, blocking: hasBlockingFindings(findings) };
  if (out.json && result.blocking) return out.failure(result, lintBlocked(findings));
  out.result(result);
  printFindingLines(out, findings);
  out.line(
    `${migrations} migration(s) linted: ${findings.filter((f) => f.blocking).length} blocking, ${findings.filter((f) => !f.blocking).length} other finding(s)`,
  );
  return hasBlockingFindings(findings) ? 7 : 0;
}

function printFindingLines(out: Output, findings: LintFinding[]): void {
  for (const f of findings) {
    const label = f.blocking ? 'error' : f.allowedBy ? 'allowed' : 'warning';
    out.line(`${f.file}:${f.line} ${label} ${f.ruleId}: ${f.why}`);
    out.line(`    instead: ${f.alternative}`);
    if (f.allowedBy) out.line(`    allowed (line ${f.allowedBy.line}): ${f.allowedBy.reason}`);
  }
}
