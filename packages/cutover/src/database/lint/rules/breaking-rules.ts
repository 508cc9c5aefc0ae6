import { readName } from '../../migrations/statement-shape.ts';
import type { LintRule } from '../lint-rule.ts';
import { alterActions, hitIf, onNewTable } from './rule-helpers.ts';

const EXPAND_ONLY = 'expand migrations run while the previous release still serves traffic';

/** Rules about operations that break the running release or destroy data. */
export const BREAKING_RULES: LintRule[] = [
  {
    id: 'rename-column',
    severity: 'error',
    title: 'RENAME COLUMN',
    why: 'the release still running (and the new one, until every instance is replaced) queries the old name: its queries fail at once',
    alternative:
      'expand/contract: add the new column, write both, backfill, switch reads in a release, then drop the old column in a contract migration; or rename only in the ORM mapping',
    check: (ctx) =>
      alterActions(ctx)
        .filter((a) => /^RENAME (COLUMN )?\S+ TO\b/.test(a.normalized) && !/^RENAME (TO|CONSTRAINT)\b/.test(a.normalized))
        .map((a) => ({ line: a.line })),
  },
  {
    id: 'rename-table',
    severity: 'error',
    title: 'ALTER TABLE ... RENAME TO',
    why: 'every query of the running release that names the table fails from the moment the rename commits',
    alternative:
      'create a view with the new name over the old table, ship a release that uses it, then in a contract migration drop the view and rename the table in one short transaction',
    check: (ctx) =>
      alterActions(ctx)
        .filter((a) => /^RENAME TO\b/.test(a.normalized))
        .map((a) => ({ line: a.line })),
  },
  {
    id: 'rename-schema',
    severity: 'error',
    title: 'ALTER SCHEMA ... RENAME TO',
    why: 'every query that names the schema, or relies on it in search_path, fails at once',
    alternative:
      'create the new schema, move objects and dual-write, switch the application, then drop the old schema in a contract migration',
    check: (ctx) => hitIf(ctx, /^ALTER SCHEMA \S+ RENAME TO\b/.test(ctx.statement.normalized)),
  },
  {
    id: 'rename-enum-value',
    severity: 'error',
    title: 'ALTER TYPE ... RENAME VALUE',
    why: 'the running release reads and writes the old label: its writes fail and its comparisons stop matching',
    alternative: 'add the new value next to the old one, ship code that handles both, backfill, and stop writing the old value',
    check: (ctx) => hitIf(ctx, /^ALTER TYPE \S+ RENAME VALUE\b/.test(ctx.statement.normalized)),
  },
  {
    id: 'drop-column',
    severity: 'error',
    title: 'DROP COLUMN in an expand migration',
    why: `the running release (and ORMs that cache the column list) still reads and writes the column; ${EXPAND_ONLY}`,
    alternative: 'stop using the column in a release, then drop it in a migration marked -- cutover:contract, applied after full promotion',
    check: (ctx) =>
      ctx.migration.kind === 'contract'
        ? []
        : alterActions(ctx)
            .filter(
              (a) =>
                /^DROP (COLUMN )?(IF EXISTS )?\S+/.test(a.normalized) &&
                !/^DROP (CONSTRAINT|NOT|DEFAULT|EXPRESSION|IDENTITY)\b/.test(a.normalized),
            )
            .map((a) => ({ line: a.line })),
  },
  {
    id: 'drop-table',
    severity: 'error',
    title: 'DROP TABLE in an expand migration',
    why: `the running release may still query the table, and its data is gone for good; ${EXPAND_ONLY}`,
    alternative: 'stop using the table in a release, take a backup, then drop it in a migration marked -- cutover:contract',
    check: (ctx) => {
      if (ctx.migration.kind === 'contract' || ctx.class.command !== 'DROP TABLE') return [];
      const tokens = ctx.statement.tokens;
      let at = tokens[2]?.text.toUpperCase() === 'IF' ? 4 : 2;
      const names: string[] = [];
      for (let name = readName(tokens, at); name; name = readName(tokens, at)) {
        names.push(name.name);
        if (tokens[name.next]?.text !== ',') break;
        at = name.next + 1;
      }
      return hitIf(
        ctx,
        names.some((n) => !onNewTable(ctx, n)),
      );
    },
  },
  {
    id: 'drop-database',
    severity: 'error',
    title: 'DROP DATABASE',
    why: 'a migration that drops a database destroys everything in it',
    alternative: 'drop databases by hand, deliberately, after a backup; never from a deploy',
    check: (ctx) => hitIf(ctx, /^DROP DATABASE\b/.test(ctx.statement.normalized)),
  },
  {
    id: 'truncate-cascade',
    severity: 'error',
    title: 'TRUNCATE ... CASCADE',
    why: 'CASCADE also empties every table with a foreign key to the truncated ones, which may be far more than intended',
    alternative: 'list every table to truncate explicitly, without CASCADE',
    check: (ctx) => hitIf(ctx, ctx.class.command === 'TRUNCATE' && /\bCASCADE\b/.test(ctx.statement.normalized)),
  },
  {
    id: 'detach-partition-not-concurrent',
    severity: 'error',
    title: 'DETACH PARTITION without CONCURRENTLY',
    why: 'a plain DETACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table: reads and writes of every partition wait',
    alternative: 'ALTER TABLE parent DETACH PARTITION child CONCURRENTLY (PostgreSQL 14+; cutover runs it outside the transaction)',
    check: (ctx) =>
      alterActions(ctx)
        .filter((a) => /^DETACH PARTITION\b/.test(a.normalized) && !/\b(CONCURRENTLY|FINALIZE)$/.test(a.normalized))
        .map((a) => ({ line: a.line })),
  },
  {
    id: 'vacuum-full-or-cluster',
    severity: 'error',
    title: 'VACUUM FULL or CLUSTER',
    why: 'both rewrite the whole table under ACCESS EXCLUSIVE: reads and writes wait until the rewrite ends',
    alternative: 'use the pg_repack extension (or REPACK CONCURRENTLY on PostgreSQL versions that have it), outside deploys',
    check: (ctx) => hitIf(ctx, ctx.class.command === 'VACUUM FULL' || ctx.class.command === 'CLUSTER'),
  },
  {
    id: 'enum-value-without-position',
    severity: 'warning',
    title: 'ALTER TYPE ... ADD VALUE without BEFORE or AFTER',
    why: 'the new label goes last, which changes ORDER BY and comparisons on the enum if its order matters',
    alternative: "say where it goes: ALTER TYPE t ADD VALUE 'x' BEFORE 'y' (or AFTER)",
    check: (ctx) => hitIf(ctx, ctx.class.command === 'ALTER TYPE ADD VALUE' && !/ (BEFORE|AFTER) '\?'$/.test(ctx.statement.normalized)),
  },
];
