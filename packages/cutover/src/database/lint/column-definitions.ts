import type { SqlStatement } from '../migrations/sql-splitter.ts';
import type { SqlToken } from '../migrations/sql-tokenizer.ts';
import { alterTableShape, createTableShape, type StatementPart, wordsOf } from '../migrations/statement-shape.ts';

/** A column definition, from CREATE TABLE or ALTER TABLE ... ADD COLUMN. */
export interface ColumnDefinition {
  name: string;
  /** Normalized type, e.g. `VARCHAR ( 20 )`, `TIMESTAMP WITHOUT TIME ZONE`, `INT [ ]`. */
  type: string;
  /** Normalized constraints and default after the type (`NOT NULL DEFAULT now ( )`). */
  constraints: string;
  line: number;
  /** True for ALTER TABLE ... ADD COLUMN on an existing table. */
  added: boolean;
}

const CONSTRAINT_START = new Set([
  'CONSTRAINT',
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'CHECK',
  'REFERENCES',
  'GENERATED',
  'COLLATE',
  'DEFERRABLE',
  'INITIALLY',
  'COMPRESSION',
  'STORAGE',
]);
const TABLE_CONSTRAINT_START = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN', 'EXCLUDE', 'LIKE']);

/** The kind of one ALTER TABLE action: `add-column`, `add-constraint`, or the leading keywords. */
export function actionKind(action: StatementPart): string {
  const w = wordsOf(action.tokens);
  if (w[0] === 'ADD') {
    if (w[1] === 'COLUMN') return 'add-column';
    return TABLE_CONSTRAINT_START.has(w[1]) ? 'add-constraint' : 'add-column';
  }
  return w.slice(0, 2).join(' ');
}

function parseColumn(tokens: readonly SqlToken[], line: number, added: boolean): ColumnDefinition | undefined {
  const w = wordsOf(tokens);
  if (w.length < 2) return undefined;
  let end = 1;
  let depth = 0;
  while (end < tokens.length) {
    const text = w[end];
    if (text === '(' || text === '[') depth++;
    else if (text === ')' || text === ']') depth--;
    else if (depth === 0 && tokens[end].kind === 'word' && CONSTRAINT_START.has(text)) break;
    end++;
  }
  return { name: tokens[0].text, type: w.slice(1, end).join(' '), constraints: w.slice(end).join(' '), line, added };
}

/** Column definitions a statement declares (new tables) or adds (existing tables). */
export function columnDefinitions(statement: SqlStatement): ColumnDefinition[] {
  const created = createTableShape(statement);
  if (created) {
    return created.elements
      .filter((e) => !TABLE_CONSTRAINT_START.has(wordsOf(e.tokens)[0]))
      .map((e) => parseColumn(e.tokens, e.line, false))
      .filter((c): c is ColumnDefinition => c !== undefined);
  }
  const alter = alterTableShape(statement);
  if (!alter) return [];
  const columns: ColumnDefinition[] = [];
  for (const action of alter.actions) {
    if (actionKind(action) !== 'add-column') continue;
    let skip = 1;
    const w = wordsOf(action.tokens);
    if (w[skip] === 'COLUMN') skip++;
    if (w[skip] === 'IF' && w[skip + 1] === 'NOT' && w[skip + 2] === 'EXISTS') skip += 3;
    const column = parseColumn(action.tokens.slice(skip), action.line, true);
    if (column) columns.push(column);
  }
  return columns;
}
