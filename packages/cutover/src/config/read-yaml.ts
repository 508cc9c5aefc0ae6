import { type Document, isMap, isPair, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { CutoverError } from '../errors/cutover-error.ts';
import { MAX_CONFIG_ALIASES, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, tooLarge } from './config-limits.ts';

export interface YamlSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The file as plain data, merge keys (`<<: *base`) applied. */
  data: unknown;
}

/**
 * Parses cutover.yml text into data, refusing what YAML allows but a config must not be: files over
 * MAX_CONFIG_BYTES, nesting deeper than MAX_CONFIG_DEPTH, more than MAX_CONFIG_ALIASES aliases.
 * Every refusal is a CUT_ERR_CONFIG_* error with a line and a hint, never a crash.
 */
export function readYaml(text: string, file: string): YamlSource {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw tooLarge(file, text, bytes);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    if (/call stack/i.test(first.message)) throw tooDeep(file, lineAt(first.pos[0]));
    const line =
      first.code === 'MISSING_CHAR' ? (openingQuoteLine(doc, first.pos[0], lineAt) ?? lineAt(first.pos[0])) : lineAt(first.pos[0]);
    throw new CutoverError('CUT_ERR_CONFIG_PARSE', `${file}:${line}: ${yamlMessage(first.code, first.message)}`, {
      where: `${file}:${line}`,
      hint: first.code === 'MISSING_CHAR' ? 'close the quote on that line (or remove it)' : 'fix the YAML syntax at that line',
      details: { line, yamlCode: first.code },
    });
  }
  const deep = firstTooDeep(doc);
  if (deep !== undefined) throw tooDeep(file, lineAt(deep));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
  } catch (error) {
    if (!(error instanceof ReferenceError || error instanceof RangeError)) throw error;
    const line = firstAliasLine(doc, lineAt) ?? 1;
    throw new CutoverError(
      'CUT_ERR_CONFIG_ALIASES',
      `${file}:${line}: the aliases in this file expand too far (${error.message.replace(/\.$/, '')}; at most ${MAX_CONFIG_ALIASES} alias expansions)`,
      {
        where: `${file}:${line}`,
        hint: 'write the values out, or use fewer aliases (*name) that point at large anchors',
        details: { line, limit: MAX_CONFIG_ALIASES },
      },
    );
  }
  return { doc, lineCounter, data: data ?? {} };
}

function tooDeep(file: string, line: number): CutoverError {
  return new CutoverError(
    'CUT_ERR_CONFIG_TOO_DEEP',
    `${file}:${line}: mappings and lists are nested more than ${MAX_CONFIG_DEPTH} levels deep here`,
    {
      where: `${file}:${line}`,
      hint: 'cutover.yml needs only a few levels: check the indentation and the brackets around that line',
      details: { line, limitDepth: MAX_CONFIG_DEPTH },
    },
  );
}

function yamlMessage(code: string, message: string): string {
  const text = message.split('\n')[0];
  if (code === 'DUPLICATE_KEY') return `${text} (each key may appear once in a mapping)`;
  return text;
}

/** The offset of the first node nested deeper than MAX_CONFIG_DEPTH, walked without recursion. */
function firstTooDeep(doc: Document.Parsed): number | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_CONFIG_DEPTH) return node.range?.[0] ?? 0;
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    } else if (isPair(node)) {
      stack.push({ node: node.value, depth });
    }
  }
  return undefined;
}

/** An unclosed quote runs to the end of the file; its line is where the quoted scalar opens. */
function openingQuoteLine(doc: Document.Parsed, errorOffset: number, lineAt: (offset: number) => number): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (
        (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') &&
        node.range &&
        node.range[0] <= errorOffset &&
        node.range[1] >= errorOffset
      ) {
        line = lineAt(node.range[0]);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return line;
}

function firstAliasLine(doc: Document.Parsed, lineAt: (offset: number) => number): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) line = lineAt(node.range[0]);
      return visit.BREAK;
    },
  });
  return line;
}
