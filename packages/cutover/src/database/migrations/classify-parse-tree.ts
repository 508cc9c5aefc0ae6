import type { Node } from 'libpg-query';
import { LOCK_LEVELS, type LockLevel } from './lock-level.ts';

/**
 * What the parse tree says about a statement where keywords alone mislead: every target of a
 * multi-target DROP, TRUNCATE or LOCK; the rows a data-modifying WITH writes; a DO block; the
 * REINDEX forms PostgreSQL refuses inside a transaction block. Undefined: the keywords decide.
 */
export interface TreeClass {
  command?: string;
  lockLevel?: LockLevel;
  /** Every relation the statement locks, as a name would be written (quoted where it needs quotes). */
  tables?: string[];
  transactional?: boolean;
}

type RangeVar = { schemaname?: string; relname?: string };
type Tree = Record<string, unknown>;

/** LockStmt.mode is PostgreSQL's lock mode number: 1 = ACCESS SHARE ... 8 = ACCESS EXCLUSIVE. */
function lockModeLevel(mode: unknown): LockLevel {
  return typeof mode === 'number' && mode >= 1 && mode <= 8 ? LOCK_LEVELS[mode] : 'ACCESS EXCLUSIVE';
}

const DROP_TYPES: Record<string, string> = {
  OBJECT_TABLE: 'DROP TABLE',
  OBJECT_INDEX: 'DROP INDEX',
  OBJECT_VIEW: 'DROP VIEW',
  OBJECT_MATVIEW: 'DROP MATERIALIZED VIEW',
  OBJECT_SEQUENCE: 'DROP SEQUENCE',
  OBJECT_FOREIGN_TABLE: 'DROP FOREIGN TABLE',
};

/** REINDEX of a whole schema, database or system runs one transaction per table itself. */
const REINDEX_OUTSIDE_TRANSACTION = new Set(['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM']);

export function classifyParseTree(node: Node): TreeClass | undefined {
  const [kind, body] = Object.entries(node)[0] as [string, Tree];
  switch (kind) {
    case 'DropStmt': {
      const command = DROP_TYPES[body.removeType as string];
      if (!command) return undefined;
      const tables = ((body.objects as { List?: { items?: { String?: { sval: string } }[] } }[]) ?? []).map((object) =>
        formatName((object.List?.items ?? []).map((item) => item.String?.sval ?? '')),
      );
      return { tables };
    }
    case 'TruncateStmt':
      return { tables: rangeVars(body.relations) };
    case 'LockStmt':
      return { lockLevel: lockModeLevel(body.mode), tables: rangeVars(body.relations) };
    case 'DoStmt':
      return { command: 'DO' };
    case 'ReindexStmt': {
      const concurrently = JSON.stringify(body.params ?? []).includes('"concurrently"');
      if (concurrently || REINDEX_OUTSIDE_TRANSACTION.has(body.kind as string)) return { transactional: false };
      return undefined;
    }
    case 'SelectStmt':
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt': {
      const written = modifyingCtes(body.withClause);
      if (written.length === 0) return undefined;
      const own = kind === 'SelectStmt' ? [] : rangeVars([body.relation]);
      return { lockLevel: 'ROW EXCLUSIVE', tables: [...own, ...written] };
    }
  }
  return undefined;
}

/** The relations that INSERT, UPDATE, DELETE or MERGE in a WITH clause write (nested WITHs included). */
function modifyingCtes(withClause: unknown): string[] {
  const ctes = ((withClause as { ctes?: { CommonTableExpr?: { ctequery?: Node } }[] } | undefined)?.ctes ?? []).map(
    (cte) => cte.CommonTableExpr?.ctequery,
  );
  return ctes.flatMap((query) => {
    if (!query) return [];
    const [kind, body] = Object.entries(query)[0] as [string, Tree];
    const nested = modifyingCtes(body.withClause);
    if (kind === 'InsertStmt' || kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'MergeStmt')
      return [...rangeVars([body.relation]), ...nested];
    return nested;
  });
}

function rangeVars(list: unknown): string[] {
  return ((list as ({ RangeVar?: RangeVar } & RangeVar)[] | undefined) ?? [])
    .map((item) => item?.RangeVar ?? item)
    .filter((rv): rv is RangeVar => rv !== undefined && typeof rv.relname === 'string')
    .map((rv) => formatName([rv.schemaname, rv.relname].filter((part): part is string => part !== undefined)));
}

/** A qualified name as it would be written: parts that need quotes (capitals, odd characters) get them. */
export function formatName(parts: readonly string[]): string {
  return parts.map((part) => (/^[a-z_][a-z0-9_$]*$/.test(part) ? part : `"${part.replaceAll('"', '""')}"`)).join('.');
}
