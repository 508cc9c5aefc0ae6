import type { SqlStatement } from './sql-splitter.ts';
import type { SqlToken } from './sql-tokenizer.ts';

/** A piece of a statement: its normalized text and the file line where it starts. */
export interface StatementPart {
  normalized: string;
  line: number;
  tokens: SqlToken[];
}

/** `ALTER TABLE [IF EXISTS] [ONLY] name action, action...` split into its actions. */
export interface AlterTableShape {
  table: string;
  actions: StatementPart[];
}

/** The upper-cased word at each token (other tokens as written). */
export function wordsOf(tokens: readonly SqlToken[]): string[] {
  return tokens.map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.text));
}

/** Reads a possibly qualified name (a.b.c) starting at token `index`; returns it and the next index. */
export function readName(tokens: readonly SqlToken[], index: number): { name: string; next: number } | undefined {
  const isIdent = (t: SqlToken | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted-identifier');
  if (!isIdent(tokens[index])) return undefined;
  let name = tokens[index].text;
  let next = index + 1;
  while (tokens[next]?.text === '.' && isIdent(tokens[next + 1])) {
    name += `.${tokens[next + 1].text}`;
    next += 2;
  }
  return { name, next };
}

/** Canonical form of an identifier for comparison: unquoted names fold to lower case. */
export function canonicalName(name: string): string {
  return name
    .split('.')
    .map((part) => (part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part.toLowerCase()))
    .join('.');
}

/** The last part of a qualified name, canonical (`public."Users"` → `Users`). */
export function baseName(name: string): string {
  const parts = canonicalName(name).split('.');
  return parts[parts.length - 1];
}

/** Splits tokens on commas at parenthesis depth 0. */
export function splitTopLevel(tokens: readonly SqlToken[], separator = ','): SqlToken[][] {
  const parts: SqlToken[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(' || token.text === '[') depth++;
    else if (token.text === ')' || token.text === ']') depth--;
    if (depth === 0 && token.kind === 'punctuation' && token.text === separator) parts.push([]);
    else parts[parts.length - 1].push(token);
  }
  return parts.filter((part) => part.length > 0);
}

export function partOf(statement: SqlStatement, tokens: SqlToken[]): StatementPart {
  const lineShift = statement.line - statement.tokens[0].line;
  return { normalized: wordsOf(tokens).join(' '), line: (tokens[0]?.line ?? statement.tokens[0].line) + lineShift, tokens };
}

/** Parses ALTER TABLE (and ALTER TABLE on partitions/foreign tables); undefined for other statements. */
export function alterTableShape(statement: SqlStatement): AlterTableShape | undefined {
  const words = wordsOf(statement.tokens);
  let index: number;
  if (words[0] === 'ALTER' && words[1] === 'TABLE') index = 2;
  else if (words[0] === 'ALTER' && words[1] === 'FOREIGN' && words[2] === 'TABLE') index = 3;
  else return undefined;
  if (words[index] === 'IF' && words[index + 1] === 'EXISTS') index += 2;
  if (words[index] === 'ONLY') index++;
  const name = readName(statement.tokens, index);
  if (!name) return undefined;
  let rest = name.next;
  if (statement.tokens[rest]?.text === '*') rest++;
  const actions = splitTopLevel(statement.tokens.slice(rest)).map((tokens) => partOf(statement, tokens));
  return { table: name.name, actions };
}

/** Column definitions and table constraints of CREATE TABLE name (...); undefined for other statements. */
export function createTableShape(statement: SqlStatement): { table: string; elements: StatementPart[] } | undefined {
  const words = wordsOf(statement.tokens);
  let index = 1;
  while (['GLOBAL', 'LOCAL', 'TEMP', 'TEMPORARY', 'UNLOGGED'].includes(words[index])) index++;
  if (words[0] !== 'CREATE' || words[index] !== 'TABLE') return undefined;
  index++;
  if (words[index] === 'IF' && words[index + 1] === 'NOT' && words[index + 2] === 'EXISTS') index += 3;
  const name = readName(statement.tokens, index);
  if (!name || statement.tokens[name.next]?.text !== '(') return { table: name?.name ?? '', elements: [] };
  const close = matchingParen(statement.tokens, name.next);
  const inner = statement.tokens.slice(name.next + 1, close);
  return { table: name.name, elements: splitTopLevel(inner).map((tokens) => partOf(statement, tokens)) };
}

/** Index of the parenthesis closing the one at `open`. */
export function matchingParen(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].text === '(') depth++;
    else if (tokens[i].text === ')' && --depth === 0) return i;
  }
  return tokens.length;
}
