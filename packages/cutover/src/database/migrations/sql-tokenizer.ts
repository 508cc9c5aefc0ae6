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
 * Splits SQL text into tokens, keeping every character (whitespace and comments included) so the
 * concatenation of token texts is the source. Unterminated quotes or comments run to the end of the
 * text, as PostgreSQL would report them only when executing.
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
  while (pos < source.length) {
    const ch = source[pos];
    const next = source[pos + 1];
    if (/\s/.test(ch)) {
      let end = pos + 1;
      while (end < source.length && /\s/.test(source[end])) end++;
      push('whitespace', end);
    } else if (ch === '-' && next === '-') {
      const newline = source.indexOf('\n', pos);
      push('line-comment', newline === -1 ? source.length : newline);
    } else if (ch === '/' && next === '*') {
      push('block-comment', blockCommentEnd(source, pos));
    } else if (ch === "'") {
      push('string', quotedEnd(source, pos, "'", false));
    } else if ((ch === 'E' || ch === 'e') && next === "'") {
      push('string', quotedEnd(source, pos + 1, "'", true));
    } else if ((ch === 'B' || ch === 'b' || ch === 'X' || ch === 'x' || ch === 'N' || ch === 'n') && next === "'") {
      push('string', quotedEnd(source, pos + 1, "'", false));
    } else if ((ch === 'U' || ch === 'u') && next === '&' && (source[pos + 2] === "'" || source[pos + 2] === '"')) {
      const quote = source[pos + 2];
      push(quote === "'" ? 'string' : 'quoted-identifier', quotedEnd(source, pos + 2, quote, false));
    } else if (ch === '"') {
      push('quoted-identifier', quotedEnd(source, pos, '"', false));
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(source.slice(pos, pos + 200));
      if (tag) {
        const close = source.indexOf(tag[0], pos + tag[0].length);
        push('dollar-string', close === -1 ? source.length : close + tag[0].length);
      } else {
        const param = /^\$\d+/.exec(source.slice(pos, pos + 20));
        push(param ? 'parameter' : 'punctuation', pos + (param ? param[0].length : 1));
      }
    } else if (/[A-Za-z_\u0080-\uffff]/.test(ch)) {
      let end = pos + 1;
      while (end < source.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(source[end])) end++;
      push('word', end);
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(next ?? ''))) {
      const match = /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)/.exec(
        source.slice(pos, pos + 100),
      );
      push('number', pos + Math.max(1, match ? match[0].length : 1));
    } else if (ch === ':' && next === ':') {
      push('punctuation', pos + 2);
    } else if ('+-*/<>=~!@#%^&|`?'.includes(ch)) {
      let end = pos + 1;
      while (end < source.length && '+-*/<>=~!@#%^&|`?'.includes(source[end]) && !isCommentStart(source, end)) end++;
      push('punctuation', end);
    } else {
      push('punctuation', pos + 1);
    }
  }
  return tokens;
}

function isCommentStart(source: string, pos: number): boolean {
  const two = source.slice(pos, pos + 2);
  return two === '--' || two === '/*';
}

/** Block comments nest in PostgreSQL. */
function blockCommentEnd(source: string, start: number): number {
  let depth = 0;
  let pos = start;
  while (pos < source.length) {
    const two = source.slice(pos, pos + 2);
    if (two === '/*') {
      depth++;
      pos += 2;
    } else if (two === '*/') {
      depth--;
      pos += 2;
      if (depth === 0) return pos;
    } else {
      pos++;
    }
  }
  return source.length;
}

/** End offset (exclusive) of a quoted token opening at `start`; a doubled quote is an escaped quote. */
function quotedEnd(source: string, start: number, quote: string, backslashEscapes: boolean): number {
  let pos = start + 1;
  while (pos < source.length) {
    const ch = source[pos];
    if (backslashEscapes && ch === '\\') {
      pos += 2;
    } else if (ch === quote) {
      if (source[pos + 1] === quote) pos += 2;
      else return pos + 1;
    } else {
      pos++;
    }
  }
  return source.length;
}

/** Tokens that carry meaning (no whitespace, no comments). */
export function significantTokens(tokens: readonly SqlToken[]): SqlToken[] {
  return tokens.filter((t) => t.kind !== 'whitespace' && t.kind !== 'line-comment' && t.kind !== 'block-comment');
}
