import type { LintRule } from '../lint-rule.ts';
import { hitIf, onNewTable } from './rule-helpers.ts';

/** Rules about building, dropping and rebuilding indexes. */
export const INDEX_RULES: LintRule[] = [
  {
    id: 'index-not-concurrent',
    severity: 'error',
    title: 'CREATE INDEX without CONCURRENTLY on an existing table',
    why: 'a plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits',
    alternative:
      'CREATE INDEX CONCURRENTLY name ON table (...); cutover runs it outside the transaction, checks that the index is valid, and drops an invalid leftover before a retry',
    check: (ctx) => hitIf(ctx, ctx.class.command === 'CREATE INDEX' && !onNewTable(ctx)),
  },
  {
    id: 'drop-index-not-concurrent',
    severity: 'error',
    title: 'DROP INDEX without CONCURRENTLY',
    why: 'a plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: reads and writes wait, and queue behind any long transaction',
    alternative: 'DROP INDEX CONCURRENTLY IF EXISTS name (cutover runs it outside the transaction)',
    check: (ctx) => hitIf(ctx, ctx.class.command === 'DROP INDEX'),
  },
  {
    id: 'reindex-not-concurrent',
    severity: 'error',
    title: 'REINDEX without CONCURRENTLY',
    why: 'a plain REINDEX blocks writes to the table, and reads that would use the index, until it finishes',
    alternative: 'REINDEX INDEX CONCURRENTLY name (PostgreSQL 12+; cutover runs it outside the transaction)',
    check: (ctx) => hitIf(ctx, ctx.class.command === 'REINDEX'),
  },
  {
    id: 'concurrently-in-transaction',
    severity: 'error',
    title: 'A CONCURRENTLY operation inside an explicit BEGIN block',
    why: 'PostgreSQL refuses CONCURRENTLY operations inside a transaction block (error 25001), so the migration fails at that statement',
    alternative: 'remove the BEGIN/COMMIT around it: cutover detects CONCURRENTLY statements and runs them outside a transaction by itself',
    check: (ctx) => hitIf(ctx, ctx.inExplicitTransaction && /\bCONCURRENTLY\b/.test(ctx.class.command)),
  },
  {
    id: 'concurrent-index-pg14-corruption',
    severity: 'error',
    title: 'CREATE/REINDEX CONCURRENTLY on PostgreSQL 14.0 to 14.3',
    why: 'these releases can build corrupt indexes concurrently (fixed in 14.4)',
    alternative: 'upgrade the server to 14.4 or later first, then run the migration',
    check: (ctx) =>
      hitIf(
        ctx,
        ctx.serverVersionNum >= 140_000 &&
          ctx.serverVersionNum < 140_004 &&
          /^(CREATE INDEX|REINDEX) CONCURRENTLY$/.test(ctx.class.command),
      ),
  },
  {
    id: 'index-too-many-columns',
    severity: 'warning',
    title: 'A non-unique index on more than three columns',
    why: 'wide non-unique indexes are rarely used past their first columns, yet slow every write and take space',
    alternative: 'index the few most selective columns; check with EXPLAIN which columns the queries need',
    check: (ctx) => {
      const match = /^CREATE INDEX .*? ON (ONLY )?\S+( USING \S+)? \( (.*) \)/.exec(ctx.statement.normalized);
      if (!match || /^CREATE UNIQUE/.test(ctx.statement.normalized)) return [];
      const columns = splitDepthZero(match[3]);
      return hitIf(ctx, columns > 3, `${columns} columns`);
    },
  },
];

function splitDepthZero(text: string): number {
  let depth = 0;
  let parts = 1;
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth < 0) break;
    } else if (ch === ',' && depth === 0) parts++;
  }
  return parts;
}
