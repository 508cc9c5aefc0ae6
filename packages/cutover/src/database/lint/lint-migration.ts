import { buildTransactionUnits } from '../migrations/build-migration-plan.ts';
import type { MigrationFile } from '../migrations/migration-file.ts';
import { baseName, createTableShape } from '../migrations/statement-shape.ts';
import type { LintFinding, LintRule, LintSeverity, RuleContext } from './lint-rule.ts';
import { LINT_RULES } from './lint-rules.ts';

/** Assumed server when linting without a connection: PostgreSQL 12 behaviour, no version-specific rules. */
export const ASSUMED_SERVER_VERSION_NUM = 120_000;

export interface LintOptions {
  serverVersionNum?: number;
  /** Severity overrides from cutover.yml (`migrations.lint.rules`). */
  ruleSettings?: Readonly<Record<string, LintSeverity | 'off'>>;
  rules?: readonly LintRule[];
}

/** Directive problems are findings too, so a typo in a directive blocks like any other problem. */
const INVALID_DIRECTIVE = {
  id: 'invalid-directive',
  why: 'a `-- cutover:` comment the runner cannot understand would silently not apply',
  alternative: 'fix the directive; docs/migrations.md lists them',
};
const ALLOW_WITHOUT_REASON = {
  id: 'allow-without-reason',
  why: 'an allow comment without a reason hides a dangerous operation with no record of why it is acceptable',
  alternative: 'write the reason after the rule id: -- cutover:allow <rule-id> <why this is safe here>',
};

/**
 * Lints the up section of a migration against every rule. A finding is accepted by an
 * `-- cutover:allow <rule-id> <reason>` comment anywhere in the file; an allow without reason is
 * itself a blocking finding and accepts nothing.
 */
export function lintMigration(migration: MigrationFile, options: LintOptions = {}): LintFinding[] {
  const serverVersionNum = options.serverVersionNum ?? ASSUMED_SERVER_VERSION_NUM;
  const rules = options.rules ?? LINT_RULES;
  const settings = options.ruleSettings ?? {};
  const units = buildTransactionUnits(migration.up, serverVersionNum, migration.directives.noTransaction);
  const all: RuleContext['all'][number][] = [];
  units.forEach((unit, u) => {
    for (const planned of unit.statements) {
      const statement = migration.up[all.length];
      all.push({ statement, class: planned.class, unit: u });
    }
  });
  const findings: LintFinding[] = [];
  const createdTables = new Set<string>();
  let inExplicitTransaction = false;
  const allows = migration.directives.allows;
  all.forEach(({ statement, class: cls }, index) => {
    const ctx: RuleContext = { migration, statement, class: cls, index, all, createdTables, inExplicitTransaction, serverVersionNum };
    for (const rule of rules) {
      const severity = settings[rule.id] ?? rule.severity;
      if (severity === 'off') continue;
      for (const hit of rule.check(ctx)) {
        const allow = allows.find((a) => a.ruleId === rule.id && a.reason !== '');
        findings.push({
          ruleId: rule.id,
          severity,
          file: migration.fileName,
          line: hit.line,
          statement: statement.text.split('\n')[0].slice(0, 200),
          why: hit.detail ? `${rule.why} (${hit.detail})` : rule.why,
          alternative: rule.alternative,
          allowedBy: allow ? { reason: allow.reason, line: allow.line } : null,
          blocking: severity === 'error' && !allow,
        });
      }
    }
    const created = createTableShape(statement);
    if (created?.table) createdTables.add(baseName(created.table));
    if (cls.transactionControl) inExplicitTransaction = /^(BEGIN|START)/.test(cls.command);
  });
  const known = new Set(rules.map((r) => r.id));
  const directiveFinding = (line: number, rule: typeof INVALID_DIRECTIVE, detail?: string): LintFinding => ({
    ruleId: rule.id,
    severity: 'error',
    file: migration.fileName,
    line,
    statement: '',
    why: detail ? `${rule.why} (${detail})` : rule.why,
    alternative: rule.alternative,
    allowedBy: null,
    blocking: true,
  });
  for (const problem of migration.directives.problems) findings.push(directiveFinding(problem.line, INVALID_DIRECTIVE, problem.message));
  for (const allow of allows) {
    if (allow.reason === '') findings.push(directiveFinding(allow.line, ALLOW_WITHOUT_REASON, `allow ${allow.ruleId}`));
    if (!known.has(allow.ruleId))
      findings.push(directiveFinding(allow.line, INVALID_DIRECTIVE, `no lint rule is called "${allow.ruleId}"`));
  }
  return findings.sort((a, b) => a.line - b.line || a.ruleId.localeCompare(b.ruleId));
}

/** True when any finding stops the run. */
export function hasBlockingFindings(findings: readonly LintFinding[]): boolean {
  return findings.some((f) => f.blocking);
}
