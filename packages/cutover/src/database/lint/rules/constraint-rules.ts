import { LOCK_LEVELS } from '../../migrations/lock-level.ts';
import { baseName } from '../../migrations/statement-shape.ts';
import { columnDefinitions } from '../column-definitions.ts';
import type { LintRule, RuleContext, RuleHit } from '../lint-rule.ts';
import { alterActions, onNewTable } from './rule-helpers.ts';

/** ALTER TABLE actions on an existing table matching `pattern`, one hit each. */
function actionHits(ctx: RuleContext, pattern: RegExp, exemptNewTable = true): RuleHit[] {
  if (exemptNewTable && onNewTable(ctx)) return [];
  return alterActions(ctx)
    .filter((a) => pattern.test(a.normalized))
    .map((a) => ({ line: a.line }));
}

const ADD_CONSTRAINT = '^ADD (CONSTRAINT \\S+ )?';

/** Rules about adding and validating constraints. */
export const CONSTRAINT_RULES: LintRule[] = [
  {
    id: 'foreign-key-not-valid',
    severity: 'error',
    title: 'ADD FOREIGN KEY without NOT VALID',
    why: 'adding a validated foreign key scans the whole table while holding SHARE ROW EXCLUSIVE on it and on the referenced table: writes to both wait',
    alternative:
      'ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID in one migration, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (it only takes SHARE UPDATE EXCLUSIVE)',
    check: (ctx) => [
      ...actionHits(ctx, new RegExp(`${ADD_CONSTRAINT}FOREIGN KEY\\b(?!.* NOT VALID\\b)`)),
      ...(onNewTable(ctx)
        ? []
        : columnDefinitions(ctx.statement)
            .filter((c) => c.added && /\bREFERENCES\b/.test(c.constraints))
            .map((c) => ({ line: c.line, detail: `new column ${c.name} references another table` }))),
    ],
  },
  {
    id: 'check-not-valid',
    severity: 'error',
    title: 'ADD CHECK constraint without NOT VALID',
    why: 'adding a validated CHECK constraint scans the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait',
    alternative: 'ADD CONSTRAINT name CHECK (...) NOT VALID, then VALIDATE CONSTRAINT name in a later migration',
    check: (ctx) => actionHits(ctx, new RegExp(`${ADD_CONSTRAINT}CHECK\\b(?!.* NOT VALID\\b)`)),
  },
  {
    id: 'validate-in-same-transaction',
    severity: 'error',
    title: 'VALIDATE CONSTRAINT in the same transaction as a stronger lock on the table',
    why: 'validation scans the table; in the transaction that already holds the lock taken by ADD CONSTRAINT, that lock stays held for the whole scan',
    alternative: 'move VALIDATE CONSTRAINT to its own migration (its own transaction), after the one that adds the constraint NOT VALID',
    check: (ctx) => {
      if (onNewTable(ctx) || !ctx.class.table) return [];
      const table = baseName(ctx.class.table);
      const unit = ctx.all[ctx.index].unit;
      const strongerEarlier = ctx.all.some(
        (s, i) =>
          i < ctx.index &&
          s.unit === unit &&
          s.class.table !== undefined &&
          baseName(s.class.table) === table &&
          LOCK_LEVELS.indexOf(s.class.lockLevel) > LOCK_LEVELS.indexOf('SHARE UPDATE EXCLUSIVE'),
      );
      return strongerEarlier ? actionHits(ctx, /^VALIDATE CONSTRAINT/) : [];
    },
  },
  {
    id: 'unique-constraint',
    severity: 'error',
    title: 'ADD UNIQUE constraint that builds its own index',
    why: 'ADD UNIQUE builds a unique index while holding ACCESS EXCLUSIVE on the table: reads and writes wait for the whole build',
    alternative: 'CREATE UNIQUE INDEX CONCURRENTLY name ON table (...), then ALTER TABLE ... ADD CONSTRAINT c UNIQUE USING INDEX name',
    check: (ctx) => actionHits(ctx, new RegExp(`${ADD_CONSTRAINT}UNIQUE\\b(?! USING INDEX)`)),
  },
  {
    id: 'primary-key-constraint',
    severity: 'error',
    title: 'ADD PRIMARY KEY that builds its own index',
    why: 'adding a primary key builds its index (and checks NOT NULL) under ACCESS EXCLUSIVE: reads and writes wait for the whole build',
    alternative:
      'make the columns NOT NULL safely, CREATE UNIQUE INDEX CONCURRENTLY name ON table (...), then ADD CONSTRAINT pk PRIMARY KEY USING INDEX name',
    check: (ctx) => [
      ...actionHits(ctx, new RegExp(`${ADD_CONSTRAINT}PRIMARY KEY\\b(?! USING INDEX)`)),
      ...(onNewTable(ctx)
        ? []
        : columnDefinitions(ctx.statement)
            .filter((c) => c.added && /\bPRIMARY KEY\b/.test(c.constraints))
            .map((c) => ({ line: c.line, detail: `new column ${c.name} is a primary key` }))),
    ],
  },
  {
    id: 'exclusion-constraint',
    severity: 'error',
    title: 'ADD EXCLUDE constraint on an existing table',
    why: 'an exclusion constraint is checked against every row under ACCESS EXCLUSIVE and cannot be added NOT VALID',
    alternative: 'create a new table with the constraint and copy the data in batches, or add it in a maintenance window',
    check: (ctx) => actionHits(ctx, new RegExp(`${ADD_CONSTRAINT}EXCLUDE\\b`)),
  },
  {
    id: 'set-not-null',
    severity: 'error',
    title: 'SET NOT NULL on an existing column',
    why: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE to check for NULLs: reads and writes wait',
    alternative:
      'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c in a later migration; then SET NOT NULL (PostgreSQL 12+ uses the valid check and skips the scan) and DROP CONSTRAINT c',
    check: (ctx) => actionHits(ctx, /^ALTER (COLUMN )?\S+ SET NOT NULL$/),
  },
  {
    id: 'domain-constraint',
    severity: 'error',
    title: 'A CHECK constraint on a domain',
    why: 'domain constraints are checked against every column of every table using the domain, holding locks on all of them; later changes to them are just as costly',
    alternative: 'use a plain type and put CHECK constraints (NOT VALID, then VALIDATE) on the columns themselves',
    check: (ctx) => {
      const n = ctx.statement.normalized;
      const hit = (/^CREATE DOMAIN\b/.test(n) && /\b(CHECK|CONSTRAINT)\b/.test(n)) || /^ALTER DOMAIN \S+ ADD\b/.test(n);
      return hit ? [{ line: ctx.statement.line }] : [];
    },
  },
];
