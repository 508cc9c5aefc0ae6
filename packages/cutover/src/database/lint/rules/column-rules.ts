import { type ColumnDefinition, columnDefinitions } from '../column-definitions.ts';
import type { LintRule, RuleContext } from '../lint-rule.ts';
import { alterActions, onNewTable } from './rule-helpers.ts';

/** PostgreSQL 11 stores a non-volatile ADD COLUMN default in the catalog instead of rewriting the table. */
export const FAST_DEFAULT_SINCE = 110_000;

/** Functions known to be STABLE or IMMUTABLE: evaluated once, so the default does not rewrite the table. */
const NON_VOLATILE_FUNCTIONS = new Set([
  'NOW',
  'TRANSACTION_TIMESTAMP',
  'STATEMENT_TIMESTAMP',
  'CURRENT_DATE',
  'CURRENT_TIMESTAMP',
  'LOCALTIMESTAMP',
  'CURRENT_USER',
  'SESSION_USER',
]);

const SERIAL_TYPE = /^(SMALLSERIAL|SERIAL|BIGSERIAL|SERIAL2|SERIAL4|SERIAL8)$/;

/** Added columns (existing tables only) of the statement. */
function addedColumns(ctx: RuleContext): ColumnDefinition[] {
  if (onNewTable(ctx)) return [];
  return columnDefinitions(ctx.statement).filter((c) => c.added);
}

/** Why a new column's default rewrites the table, or undefined when it does not. */
export function rewritingDefault(column: ColumnDefinition, serverVersionNum: number): string | undefined {
  if (/\bGENERATED ALWAYS AS \(.*\) STORED\b/.test(column.constraints)) return 'a STORED generated column is computed for every row';
  if (/\bGENERATED (ALWAYS|BY DEFAULT) AS IDENTITY\b/.test(column.constraints)) return 'an identity column numbers every existing row';
  if (SERIAL_TYPE.test(column.type)) return 'a serial column takes nextval() for every existing row';
  const defaultExpr = /\bDEFAULT (.*)$/.exec(column.constraints)?.[1];
  if (defaultExpr === undefined) return undefined;
  if (serverVersionNum < FAST_DEFAULT_SINCE) return 'before PostgreSQL 11 every ADD COLUMN with a DEFAULT rewrites the table';
  for (const call of defaultExpr.matchAll(/([A-Z_][A-Z0-9_$]*(?: \. [A-Z_][A-Z0-9_$]*)?) \(/g)) {
    const name = call[1].replace(/.* \. /, '');
    if (!NON_VOLATILE_FUNCTIONS.has(name))
      return `the default calls ${name.toLowerCase()}(), which may be volatile: evaluated once per row`;
  }
  return undefined;
}

/** Rules about adding, changing and dropping columns. */
export const COLUMN_RULES: LintRule[] = [
  {
    id: 'add-column-volatile-default',
    severity: 'error',
    title: 'ADD COLUMN whose default rewrites the table',
    why: 'the table is rewritten under an ACCESS EXCLUSIVE lock to fill the new column: reads and writes wait for the whole rewrite',
    alternative:
      'add the column without a default (or with a constant one), ALTER COLUMN ... SET DEFAULT for new rows, then backfill existing rows in batches outside the DDL migration',
    check: (ctx) =>
      addedColumns(ctx).flatMap((c) => {
        const reason = rewritingDefault(c, ctx.serverVersionNum);
        return reason ? [{ line: c.line, detail: `${c.name}: ${reason}` }] : [];
      }),
  },
  {
    id: 'add-column-required',
    severity: 'error',
    title: 'ADD COLUMN ... NOT NULL without a default',
    why: 'it fails as soon as the table has rows, and inserts from the release still running (which do not know the column) start failing',
    alternative:
      'add the column nullable (or NOT NULL with a constant DEFAULT), backfill, then enforce NOT NULL with a CHECK ... NOT VALID, VALIDATE, SET NOT NULL',
    check: (ctx) =>
      addedColumns(ctx)
        .filter((c) => /\bNOT NULL\b/.test(c.constraints) && !/\bDEFAULT\b|\bGENERATED\b/.test(c.constraints) && !SERIAL_TYPE.test(c.type))
        .map((c) => ({ line: c.line, detail: `column ${c.name}` })),
  },
  {
    id: 'change-column-type',
    severity: 'error',
    title: 'ALTER COLUMN ... TYPE',
    why: 'changing a type rewrites the table and its indexes under ACCESS EXCLUSIVE (unless the change is binary-coercible, such as varchar to text), and the running release may not understand the new type',
    alternative:
      'expand/contract: add a new column, write both (trigger or application), backfill in batches, switch reads, then drop the old column in a contract migration',
    check: (ctx) =>
      alterActions(ctx)
        .filter((a) => /^ALTER (COLUMN )?\S+ (SET DATA )?TYPE\b/.test(a.normalized))
        .map((a) => ({ line: a.line })),
  },
  {
    id: 'drop-not-null',
    severity: 'error',
    title: 'DROP NOT NULL on a column',
    why: 'the running release may read the column and not expect NULLs',
    alternative:
      'keep the constraint and write a marker value, or ship readers that handle NULL before dropping it in a contract migration',
    check: (ctx) =>
      alterActions(ctx)
        .filter((a) => /^ALTER (COLUMN )?\S+ DROP NOT NULL$/.test(a.normalized))
        .map((a) => ({ line: a.line })),
  },
];
