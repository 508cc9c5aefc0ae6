import { loadModule, type Node, parseSync, type ScanToken, scanSync } from 'libpg-query';

// PostgreSQL's own scanner and parser, compiled to WebAssembly (no binary download at install).
// Loaded once, when the first module that needs SQL is imported.
await loadModule();

/** One statement as PostgreSQL's parser found it: its parse tree and where it is (character offsets). */
export interface ParsedStatement {
  node: Node;
  start: number;
  /** Exclusive; the terminating semicolon is not included. */
  end: number;
}

/** One lexical token as PostgreSQL's scanner found it, with character (not byte) offsets. */
export interface ScannedToken {
  start: number;
  end: number;
  text: string;
  /** The scanner's token name: IDENT, SCONST, SQL_COMMENT, C_COMMENT, PARAM, ... (UNKNOWN for keywords). */
  tokenName: string;
  /** 0 for a non-keyword, else PostgreSQL's keyword category. */
  keywordKind: number;
}

/** Why text is not valid SQL, and where (a character offset; undefined when the parser gives none). */
export class SqlSyntaxError extends Error {
  readonly offset: number | undefined;
  /** 1-based line in the file, once a caller that knows the file has set it. */
  line: number | undefined;
  constructor(message: string, offset: number | undefined, line?: number) {
    super(message);
    this.name = 'SqlSyntaxError';
    this.offset = offset;
    this.line = line;
  }
}

/** Parses SQL text into statements; throws SqlSyntaxError for text PostgreSQL would refuse to parse. */
export function parseStatements(source: string): ParsedStatement[] {
  if (source.trim() === '') return [];
  let result: ReturnType<typeof parseSync>;
  try {
    result = parseSync(source);
  } catch (error) {
    throw toSyntaxError(error);
  }
  const chars = byteToChar(source);
  return (result.stmts ?? []).map((raw) => {
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : Buffer.byteLength(source);
    return { node: raw.stmt as Node, start: chars(startByte), end: chars(endByte) };
  });
}

/** Every token of the text, comments included (whitespace is what lies between them). */
export function scanTokens(source: string): ScannedToken[] {
  if (source === '') return [];
  let tokens: ScanToken[];
  try {
    tokens = scanSync(source).tokens;
  } catch (error) {
    // The scanner reports an unterminated quote or comment by failing as a whole; the parser says which.
    try {
      parseSync(source);
    } catch (parseError) {
      throw toSyntaxError(parseError);
    }
    throw toSyntaxError(error);
  }
  const chars = byteToChar(source);
  return tokens.map((t) => {
    const start = chars(t.start);
    const end = chars(t.end);
    return { start, end, text: source.slice(start, end), tokenName: t.tokenName, keywordKind: t.keywordKind };
  });
}

function toSyntaxError(error: unknown): SqlSyntaxError {
  const details = (error as { sqlDetails?: { cursorPosition?: number; message?: string } }).sqlDetails;
  const message = details?.message ?? (error instanceof Error ? error.message : String(error));
  // PostgreSQL's cursor position counts characters from 1; libpg-query reports it from 0.
  return new SqlSyntaxError(message, details?.cursorPosition);
}

/** Converts the parser's UTF-8 byte offsets into JavaScript string offsets. */
function byteToChar(source: string): (byteOffset: number) => number {
  const bytes = Buffer.byteLength(source);
  if (bytes === source.length) return (offset) => offset;
  const map = new Int32Array(bytes + 1);
  let byte = 0;
  for (let i = 0; i < source.length; i++) {
    const code = source.codePointAt(i) ?? 0;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let k = 0; k < width; k++) map[byte + k] = i;
    byte += width;
    if (code >= 0x10000) i++;
  }
  map[bytes] = source.length;
  return (offset) => map[Math.min(offset, bytes)];
}
