import { alterTableShape, baseName, type StatementPart } from '../../migrations/statement-shape.ts';
import type { RuleContext, RuleHit } from '../lint-rule.ts';

/** Actions of an ALTER TABLE statement; empty for other statements. */
export function alterActions(ctx: RuleContext): StatementPart[] {
  return alterTableShape(ctx.statement)?.actions ?? [];
}

/** True when the statement's table was created earlier in the same migration (nobody uses it yet). */
export function onNewTable(ctx: RuleContext, table = ctx.class.table): boolean {
  return table !== undefined && ctx.createdTables.has(baseName(table));
}

/** One hit on the statement's first line when `condition` holds. */
export function hitIf(ctx: RuleContext, condition: boolean, detail?: string): RuleHit[] {
  return condition ? [{ line: ctx.statement.line, detail }] : [];
}
