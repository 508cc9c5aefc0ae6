import { alterTableShape, wordsOf } from '../../migrations/statement-shape.ts';
import { columnDefinitions } from '../column-definitions.ts';
import type { LintRule, RuleContext, RuleHit } from '../lint-rule.ts';

/** PostgreSQL truncates identifiers longer than this many bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Types named by the statement's column definitions and ALTER COLUMN ... TYPE actions, with lines. */
function declaredTypes(ctx: RuleContext): { type: string; line: number; column: string }[] {
  const types = columnDefinitions(ctx.statement).map((c) => ({ type: c.type, line: c.line, column: c.name }));
  for (const action of alterTableShape(ctx.statement)?.actions ?? []) {
    const match = /^ALTER (COLUMN )?(\S+) (SET DATA )?TYPE (.*?)( USING .*| COLLATE .*)?$/.exec(action.normalized);
    if (match) types.push({ type: match[4], line: action.line, column: match[2].toLowerCase() });
  }
  return types;
}

function typeRule(ctx: RuleContext, pattern: RegExp): RuleHit[] {
  return declaredTypes(ctx)
    .filter((t) => pattern.test(t.type))
    .map((t) => ({ line: t.line, detail: `${t.column} ${t.type.toLowerCase().replace(/ ([()[\]]) ?/g, '$1')}` }));
}

/** Schema hygiene: not dangerous today, costly later. Warnings by default. */
export const HYGIENE_RULES: LintRule[] = [
  {
    id: 'prefer-bigint',
    severity: 'warning',
    title: 'int, smallint or serial column',
    why: '32-bit and 16-bit integers run out (2.1 billion / 32767), and widening the column later rewrites the table',
    alternative: 'use bigint (or bigint GENERATED ALWAYS AS IDENTITY for keys)',
    check: (ctx) => typeRule(ctx, /^(INT|INTEGER|INT4|INT2|SMALLINT|SERIAL|SERIAL4|SMALLSERIAL|SERIAL2)( \[.*)?$/),
  },
  {
    id: 'prefer-identity',
    severity: 'warning',
    title: 'serial column',
    why: 'serial columns own a separate sequence with its own permissions and dependencies, which complicates grants, dumps and copies',
    alternative: 'bigint GENERATED ALWAYS AS IDENTITY',
    check: (ctx) => typeRule(ctx, /^(SMALLSERIAL|SERIAL|BIGSERIAL|SERIAL2|SERIAL4|SERIAL8)$/),
  },
  {
    id: 'prefer-text',
    severity: 'warning',
    title: 'varchar(n) column',
    why: 'raising the length limit later needs ACCESS EXCLUSIVE, and the limit rarely matches a real rule',
    alternative: 'text, with a CHECK (length(col) <= n) constraint when a limit matters (a CHECK can be replaced NOT VALID)',
    check: (ctx) => typeRule(ctx, /^(VARCHAR|CHARACTER VARYING) \(/),
  },
  {
    id: 'prefer-timestamptz',
    severity: 'warning',
    title: 'timestamp without time zone column',
    why: 'timestamp drops the UTC offset: the same instant written from two time zones is stored as two different values',
    alternative: 'timestamptz',
    check: (ctx) => typeRule(ctx, /^TIMESTAMP( \( \d+ \))?( WITHOUT TIME ZONE)?( \[.*)?$/),
  },
  {
    id: 'char-field',
    severity: 'warning',
    title: 'char(n) column',
    why: 'char(n) pads values with spaces and compares them in surprising ways; it is almost never what was meant',
    alternative: 'text (or varchar)',
    check: (ctx) => typeRule(ctx, /^(CHAR|CHARACTER|BPCHAR|NCHAR)( \(.*\))?$/),
  },
  {
    id: 'json-column',
    severity: 'warning',
    title: 'json column',
    why: 'json has no equality operator, so SELECT DISTINCT, UNION and GROUP BY over the column fail, and every read reparses it',
    alternative: 'jsonb',
    check: (ctx) => typeRule(ctx, /^JSON( \[.*)?$/),
  },
  {
    id: 'identifier-too-long',
    severity: 'error',
    title: 'identifier longer than 63 bytes',
    why: 'PostgreSQL silently truncates it, so the object gets another name than the one the code and later migrations use',
    alternative: 'use a name of at most 63 bytes',
    check: (ctx) => {
      if (!/^(CREATE|ALTER)\b/.test(ctx.statement.normalized)) return [];
      const words = wordsOf(ctx.statement.tokens);
      return ctx.statement.tokens
        .filter(
          (t, i) =>
            (t.kind === 'word' || t.kind === 'quoted-identifier') &&
            Buffer.byteLength(t.kind === 'word' ? words[i] : t.text.slice(1, -1)) > MAX_IDENTIFIER_BYTES,
        )
        .map((t) => ({ line: t.line + (ctx.statement.line - ctx.statement.tokens[0].line), detail: `${Buffer.byteLength(t.text)} bytes` }));
    },
  },
];
