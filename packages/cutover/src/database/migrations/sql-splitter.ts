import type { Node } from 'libpg-query';
import { type ParsedStatement, parseStatements, SqlSyntaxError } from './sql-parser.ts';
import { type SqlToken, significantTokens, tokenizeSql } from './sql-tokenizer.ts';

/** One SQL statement of a migration, with where it came from and a normalized form to classify. */
export interface SqlStatement {
  /** Source text from the first significant token to the last, without the terminating semicolon. */
  text: string;
  /** 1-based line of the first significant token in the whole file. */
  line: number;
  /** 1-based line of the last significant token. */
  endLine: number;
  /** Tokens without whitespace and comments. */
  tokens: SqlToken[];
  /**
   * Significant tokens joined by single spaces: words upper-cased, string literals replaced by '?'
   * (so patterns never match inside data), quoted identifiers kept as written.
   */
  normalized: string;
  /** Offset in `normalized` where each token starts (parallel to `tokens`). */
  tokenStarts: number[];
  /** PostgreSQL's parse tree of the statement (`{ CreateStmt: {...} }`, `{ DropStmt: {...} }`...). */
  node: Node;
}

/**
 * Splits SQL into statements where PostgreSQL's parser ends them: quotes, dollar quoting, nested
 * block comments, `DO` bodies and SQL-standard function bodies (BEGIN ATOMIC ... END) are its
 * business, so they are right by construction. One scan and one parse of the text: linear in its
 * length. `lineOffset` shifts reported lines when the text is a section of a larger file. Text that
 * PostgreSQL cannot parse throws SqlSyntaxError.
 */
export function splitStatements(source: string, lineOffset = 0): SqlStatement[] {
  let parsedStatements: ParsedStatement[];
  let significant: SqlToken[];
  try {
    significant = significantTokens(tokenizeSql(source));
    parsedStatements = parseStatements(source);
  } catch (error) {
    if (error instanceof SqlSyntaxError && error.offset !== undefined) {
      error.line = lineOffset + 1 + (source.slice(0, error.offset).match(/\n/g)?.length ?? 0);
    }
    throw error;
  }
  const statements: SqlStatement[] = [];
  let next = 0;
  for (const parsed of parsedStatements) {
    while (next < significant.length && significant[next].offset < parsed.start) next++;
    const first = next;
    while (next < significant.length && significant[next].offset < parsed.end) next++;
    const tokens = significant.slice(first, next);
    if (tokens.length > 0) statements.push(buildStatement(source, tokens, lineOffset, parsed.node));
  }
  return statements;
}

function buildStatement(source: string, tokens: SqlToken[], lineOffset: number, node: Node): SqlStatement {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const tokenStarts: number[] = [];
  let normalized = '';
  for (const token of tokens) {
    if (normalized) normalized += ' ';
    tokenStarts.push(normalized.length);
    normalized += normalizeToken(token);
  }
  return {
    text: source.slice(first.offset, last.offset + last.text.length),
    line: first.line + lineOffset,
    endLine: last.line + lineOffset + (last.text.match(/\n/g)?.length ?? 0),
    tokens,
    normalized,
    tokenStarts,
    node,
  };
}

function normalizeToken(token: SqlToken): string {
  switch (token.kind) {
    case 'word':
      return token.text.toUpperCase();
    case 'string':
    case 'dollar-string':
      return "'?'";
    default:
      return token.text;
  }
}

/** The 1-based file line of the token at `index` in a statement's normalized text. */
export function lineAtNormalizedIndex(statement: SqlStatement, index: number): number {
  let lo = 0;
  let hi = statement.tokenStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (statement.tokenStarts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return statement.tokens[lo].line + (statement.line - statement.tokens[0].line);
}
