import type { Document, LineCounter } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import { describeIssue } from './describe-issue.ts';
import { type ConfigProblem, formatPath } from './load-config.ts';
import { readYaml } from './read-yaml.ts';
import { configSchema, type ParsedConfig } from './schema.ts';
import { type CrossFieldProblem, validateCrossFields } from './validate-cross-fields.ts';

/**
 * Parses and validates cutover.yml text (YAML, the zod schema, the rules between keys): the config,
 * or CUT_ERR_CONFIG_INVALID listing every problem with its line. load-config.ts loads this module
 * (and with it yaml and zod) only when its cache of validated configs has no entry for the text.
 */
export function validateConfigText(text: string, file: string): ParsedConfig {
  const { doc, lineCounter, data } = readYaml(text, file);
  const raw = withoutExtensionKeys(data);
  const result = configSchema.safeParse(raw);
  const problems: ConfigProblem[] = result.success
    ? validateCrossFields(result.data).map((problem) => crossFieldProblem(problem, doc, lineCounter))
    : result.error.issues.map((issue) => toProblem(issue, raw, doc, lineCounter));
  if (!result.success || problems.length > 0) {
    const list = problems
      .map((p) => {
        const lines = [p.line && `line ${p.line}`, p.otherPath && `${p.otherPath}${p.otherLine ? ` at line ${p.otherLine}` : ''}`].filter(
          Boolean,
        );
        return `  ${p.path || '(top level)'}: ${p.message}${lines.length ? ` (${lines.join('; ')})` : ''}`;
      })
      .join('\n');
    throw new CutoverError(
      'CUT_ERR_CONFIG_INVALID',
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
      {
        where: problems[0]?.line ? `${file}:${problems[0].line}` : file,
        hint: 'fix each value listed; "cutover help config" describes every key',
        details: { problems },
      },
    );
  }
  return result.data;
}

/** Top-level keys starting with `x-` hold anchors for merge keys (`x-defaults: &defaults`); cutover ignores them. */
function withoutExtensionKeys(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')));
}

function toProblem(issue: z.core.$ZodIssue, raw: unknown, doc: Document.Parsed, lineCounter: LineCounter): ConfigProblem {
  let path = [...issue.path];
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0]];
  const { present, value } = valueAt(raw, issue.path);
  const message = describeIssue(issue, value, present);
  return { path: formatPath(path), message, issue: issue.code, line: lineOf(doc, lineCounter, path) };
}

function crossFieldProblem(problem: CrossFieldProblem, doc: Document.Parsed, lineCounter: LineCounter): ConfigProblem {
  return {
    path: formatPath(problem.path),
    message: problem.message,
    issue: 'cross_field',
    line: lineOf(doc, lineCounter, problem.path),
    ...(problem.otherPath && { otherPath: formatPath(problem.otherPath), otherLine: lineOf(doc, lineCounter, problem.otherPath) }),
  };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let node = raw;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return { present: false, value: undefined };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { present: node !== undefined, value: node };
}

function lineOf(doc: Document.Parsed, lineCounter: LineCounter, path: PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth) as (string | number)[];
    const parent = depth > 0 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === keys[keys.length - 1]);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const node = depth > 0 ? doc.getIn(keys, true) : doc.contents;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}
