import { LOCK_LEVELS } from '../../migrations/lock-level.ts';
import type { LintRule } from '../lint-rule.ts';
import { hitIf } from './rule-helpers.ts';

/** Rules about transactions and about data changes mixed with schema changes. */
export const TRANSACTION_RULES: LintRule[] = [
  {
    id: 'transaction-control',
    severity: 'error',
    title: 'BEGIN, COMMIT, ROLLBACK or SAVEPOINT in a migration',
    why: 'cutover owns the transactions: an explicit COMMIT ends its transaction early, a BEGIN without COMMIT leaves work uncommitted, and the history row may disagree with what was applied',
    alternative:
      'remove the transaction statements: each migration already runs in one transaction, CONCURRENTLY statements run outside it automatically, and -- cutover:no_transaction runs every statement on its own',
    check: (ctx) => hitIf(ctx, ctx.class.transactionControl),
  },
  {
    id: 'backfill-with-ddl',
    severity: 'error',
    title: 'UPDATE, DELETE or INSERT ... SELECT in the same transaction as a locking schema change',
    why: 'the lock taken by the schema change is held until the data change ends, so a large backfill blocks the table for its whole duration',
    alternative:
      'put the backfill in its own migration marked -- cutover:no_transaction and update in batches (for example by primary key ranges)',
    check: (ctx) => {
      const dml =
        ctx.class.command === 'UPDATE' ||
        ctx.class.command === 'DELETE' ||
        (ctx.class.command === 'INSERT' && / SELECT /.test(ctx.statement.normalized));
      if (!dml) return [];
      const unit = ctx.all[ctx.index].unit;
      const ddl = ctx.all.find(
        (s) =>
          s.unit === unit &&
          s.class.command !== ctx.class.command &&
          LOCK_LEVELS.indexOf(s.class.lockLevel) >= LOCK_LEVELS.indexOf('SHARE') &&
          !/^(INSERT|UPDATE|DELETE|CREATE TABLE)/.test(s.class.command),
      );
      return hitIf(ctx, ddl !== undefined, ddl ? `same transaction as line ${ddl.statement.line}: ${ddl.class.command}` : undefined);
    },
  },
];
