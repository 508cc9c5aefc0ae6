import type { StatementClass } from '../migrations/classify-statement.ts';
import type { MigrationFile } from '../migrations/migration-file.ts';
import type { SqlStatement } from '../migrations/sql-splitter.ts';

/** `error` findings block the migration unless allowed; `warning` findings are reported only. */
export type LintSeverity = 'error' | 'warning';

/** What a rule sees: one statement, with the rest of the migration around it. */
export interface RuleContext {
  migration: MigrationFile;
  statement: SqlStatement;
  class: StatementClass;
  /** Index of the statement in the migration's up section. */
  index: number;
  /** Every up statement with its class and the transaction unit the runner will put it in. */
  all: readonly { statement: SqlStatement; class: StatementClass; unit: number }[];
  /** Canonical base names of tables created by earlier statements of this migration. */
  createdTables: ReadonlySet<string>;
  /** Whether an explicit BEGIN in the file is open at this statement. */
  inExplicitTransaction: boolean;
  serverVersionNum: number;
}

/** Where a rule fired; `detail` sharpens the rule's generic explanation for this statement. */
export interface RuleHit {
  line: number;
  detail?: string;
}

export interface LintRule {
  /** Stable id, used in findings and in `-- cutover:allow <id> <reason>`. */
  id: string;
  severity: LintSeverity;
  /** One line: what the rule detects. */
  title: string;
  /** Why the operation is dangerous on a live database. */
  why: string;
  /** What to do instead. */
  alternative: string;
  check(ctx: RuleContext): RuleHit[];
}

/** One problem found in a migration. */
export interface LintFinding {
  ruleId: string;
  severity: LintSeverity;
  file: string;
  line: number;
  /** The statement's first line, for context. */
  statement: string;
  why: string;
  alternative: string;
  /** The allow comment that accepts this finding, if any. */
  allowedBy: { reason: string; line: number } | null;
  /** True when this finding stops the migration: severity error and not allowed. */
  blocking: boolean;
}
