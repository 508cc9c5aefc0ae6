import { classifyStatement, type StatementClass } from './classify-statement.ts';
import type { HistoryRow } from './history-row.ts';
import type { MigrationFile } from './migration-file.ts';
import type { SqlStatement } from './sql-splitter.ts';

/** Timeouts and retries for migration DDL; the config gives them, directives override per migration. */
export interface MigrationTimeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
}

export interface PlannedStatement {
  sql: string;
  /** 1-based line in the migration file. */
  line: number;
  class: StatementClass;
}

/** Statements the runner executes together: in one transaction, or (non-transactional) one by one. */
export interface TransactionUnit {
  transactional: boolean;
  statements: PlannedStatement[];
}

export interface PlannedMigration {
  id: string;
  name: string;
  fileName: string;
  kind: 'expand' | 'contract';
  direction: 'up' | 'down';
  checksum: string;
  timeouts: MigrationTimeouts;
  units: TransactionUnit[];
  /** Units already committed by an earlier, failed run: execution resumes after them. */
  resumeFromUnit: number;
  /** An earlier run of this same file failed or died: a finished CONCURRENTLY build it left counts as done. */
  retrying: boolean;
}

/**
 * Groups statements into transaction units. Consecutive transactional statements share one
 * transaction; a statement PostgreSQL refuses inside a transaction block (CONCURRENTLY, VACUUM...)
 * becomes its own unit. A migration with `no_transaction`, or one that writes its own
 * BEGIN/COMMIT, runs every statement on its own.
 */
export function buildTransactionUnits(
  statements: readonly SqlStatement[],
  serverVersionNum: number,
  noTransaction: boolean,
): TransactionUnit[] {
  const planned = statements.map((s) => ({ sql: s.text, line: s.line, class: classifyStatement(s, serverVersionNum) }));
  const ownTransactions = noTransaction || planned.some((p) => p.class.transactionControl);
  const units: TransactionUnit[] = [];
  for (const statement of planned) {
    const transactional = !ownTransactions && statement.class.transactional;
    const last = units[units.length - 1];
    if (transactional && last?.transactional) last.statements.push(statement);
    else units.push({ transactional, statements: [statement] });
  }
  return units;
}

export function planMigration(
  file: MigrationFile,
  direction: 'up' | 'down',
  defaults: MigrationTimeouts,
  serverVersionNum: number,
  resumeFromUnit = 0,
  retrying = resumeFromUnit > 0,
): PlannedMigration {
  const statements = direction === 'up' ? file.up : (file.down ?? []);
  return {
    id: file.id,
    name: file.name,
    fileName: file.fileName,
    kind: file.kind,
    direction,
    checksum: file.checksum,
    timeouts: {
      lockTimeoutMs: file.directives.lockTimeoutMs ?? defaults.lockTimeoutMs,
      statementTimeoutMs: file.directives.statementTimeoutMs ?? defaults.statementTimeoutMs,
      lockRetries: file.directives.lockRetries ?? defaults.lockRetries,
    },
    units: buildTransactionUnits(statements, serverVersionNum, file.directives.noTransaction),
    resumeFromUnit,
    retrying,
  };
}

/** Which migrations `up` runs: not applied yet, in id order, contract ones only when asked. */
export function selectPendingUp(
  files: readonly MigrationFile[],
  history: readonly HistoryRow[],
  options: { contract: boolean; targetId?: string },
): { file: MigrationFile; resumeFromUnit: number; retrying: boolean }[] {
  const rows = new Map(history.map((row) => [row.id, row]));
  const selected: { file: MigrationFile; resumeFromUnit: number; retrying: boolean }[] = [];
  for (const file of files) {
    const row = rows.get(file.id);
    if (row?.status === 'applied') continue;
    if (options.targetId !== undefined && Number(file.id) > Number(options.targetId)) break;
    if (file.kind === 'contract' && !options.contract) continue;
    const same = row !== undefined && row.checksum === file.checksum;
    selected.push({ file, resumeFromUnit: same ? row.unitsDone : 0, retrying: same });
  }
  return selected;
}

/** Which applied migrations `down` reverts, newest id first: `steps` of them, or all above `targetId`. */
export function selectDown(history: readonly HistoryRow[], options: { steps?: number; targetId?: string }): HistoryRow[] {
  const applied = history.filter((row) => row.status === 'applied').sort((a, b) => Number(b.id) - Number(a.id));
  if (options.targetId !== undefined) return applied.filter((row) => Number(row.id) > Number(options.targetId));
  return applied.slice(0, options.steps ?? 1);
}

/** Finds a migration by id ("7", "0007") or name ("0007_add_index"); undefined when none matches. */
export function findMigration(files: readonly MigrationFile[], ref: string): MigrationFile | undefined {
  const asId = /^\d+$/.test(ref) ? String(Number(ref)) : undefined;
  return files.find((f) => f.id === asId || f.name === ref || f.fileName === ref);
}
