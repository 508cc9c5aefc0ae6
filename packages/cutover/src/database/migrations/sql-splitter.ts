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
}

/**
 * Splits SQL into statements on top-level semicolons. Quotes, dollar quoting, nested block comments
 * and SQL-standard function bodies (BEGIN ATOMIC ... END) never split a statement.
 * `lineOffset` shifts reported lines when the text is a section of a larger file.
 */
export function splitStatements(source: string, lineOffset = 0): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let current: SqlToken[] = [];
  let atomicDepth = 0;
  const flush = () => {
    const meaningful = significantTokens(current);
    if (meaningful.length > 0) statements.push(buildStatement(source, meaningful, lineOffset));
    current = [];
  };
  for (const token of tokenizeSql(source)) {
    if (token.kind === 'word') {
      const word = token.text.toUpperCase();
      const significant = significantTokens(current);
      const previous = significant[significant.length - 1];
      if (word === 'ATOMIC' && previous?.text.toUpperCase() === 'BEGIN' && isRoutineDefinition(significant)) atomicDepth++;
      else if (atomicDepth > 0 && word === 'CASE') atomicDepth++;
      else if (atomicDepth > 0 && word === 'END') atomicDepth--;
    }
    if (token.kind === 'punctuation' && token.text === ';' && atomicDepth === 0) {
      flush();
      continue;
    }
    current.push(token);
  }
  flush();
  return statements;
}

function isRoutineDefinition(tokens: readonly SqlToken[]): boolean {
  const head = tokens
    .slice(0, 4)
    .map((t) => t.text.toUpperCase())
    .join(' ');
  return /^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE)\b/.test(head);
}

function buildStatement(source: string, tokens: SqlToken[], lineOffset: number): SqlStatement {
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
