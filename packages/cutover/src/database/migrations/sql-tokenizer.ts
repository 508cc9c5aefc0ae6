import { type ScannedToken, scanTokens } from './sql-parser.ts';

/** Kinds of lexical tokens in PostgreSQL SQL text. */
export type SqlTokenKind =
  | 'word' // keyword or unquoted identifier
  | 'quoted-identifier' // "Name"
  | 'string' // '...', E'...', U&'...', B'...', X'...', N'...'
  | 'dollar-string' // $tag$...$tag$
  | 'number'
  | 'parameter' // $1
  | 'punctuation' // ( ) , . ; [ ] :: and operators
  | 'line-comment'
  | 'block-comment'
  | 'whitespace';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  /** Offset of the first character in the source text. */
  offset: number;
  /** 1-based line of the first character. */
  line: number;
}

/**
 * Splits SQL text into tokens with PostgreSQL's own scanner, keeping every character (whitespace
 * and comments included) so the concatenation of token texts is the source. Text the scanner
 * refuses (an unterminated quote or comment) throws SqlSyntaxError.
 */
export function tokenizeSql(source: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let pos = 0;
  let line = 1;
  const push = (kind: SqlTokenKind, end: number) => {
    const text = source.slice(pos, end);
    tokens.push({ kind, text, offset: pos, line });
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
    pos = end;
  };
  for (const token of scanTokens(source)) {
    if (token.start > pos) push('whitespace', token.start);
    push(kindOf(token), token.end);
  }
  if (pos < source.length) push('whitespace', source.length);
  return tokens;
}

function kindOf(token: ScannedToken): SqlTokenKind {
  switch (token.tokenName) {
    case 'SQL_COMMENT':
      return 'line-comment';
    case 'C_COMMENT':
      return 'block-comment';
    case 'SCONST':
    case 'USCONST':
    case 'BCONST':
    case 'XCONST':
      return token.text.startsWith('$') ? 'dollar-string' : 'string';
    case 'ICONST':
    case 'FCONST':
      return 'number';
    case 'PARAM':
      return 'parameter';
  }
  if (token.text.startsWith('"') || /^[Uu]&"/.test(token.text)) return 'quoted-identifier';
  if (token.tokenName === 'IDENT' || token.tokenName === 'UIDENT' || token.keywordKind > 0) return 'word';
  return 'punctuation';
}

/** Tokens that carry meaning (no whitespace, no comments). */
export function significantTokens(tokens: readonly SqlToken[]): SqlToken[] {
  return tokens.filter((t) => t.kind !== 'whitespace' && t.kind !== 'line-comment' && t.kind !== 'block-comment');
}
