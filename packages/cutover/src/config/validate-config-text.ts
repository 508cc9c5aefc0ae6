import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import * as D from './defaults.ts';
import { describeIssue } from './describe-issue.ts';
import { isPlainMap, mergeOverlay, sourceOfPath } from './environment-overlay.ts';
import { type ConfigProblem, formatPath, type OverlaySource } from './load-config.ts';
import { readYaml } from './read-yaml.ts';
import { configSchema, type ParsedConfig } from './schema.ts';
import { knownKeysAt } from './schema-keys.ts';
import { type CrossFieldProblem, validateCrossFields } from './validate-cross-fields.ts';

/**
 * Parses and validates cutover.yml text (YAML, the zod schema, the rules between keys): the config,
 * or CUT_ERR_CONFIG_INVALID listing every problem with its line. load-config.ts loads this module
 * (and with it yaml and zod) only when its cache of validated configs has no entry for the text.
 */
export function validateConfigText(text: string, file: string): ParsedConfig {
  return validateConfigOverlay(text, file).config;
}

/** One parsed file of a config: the base, or an environment's overlay. */
interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  raw: unknown;
}

/**
 * The same with an environment's overlay merged over the base (docs/environments.md): each problem
 * names the file it is in. `ownDataDir`: the overlay sets agent.dataDir itself.
 */
export function validateConfigOverlay(text: string, file: string, overlay?: OverlaySource): { config: ParsedConfig; ownDataDir: boolean } {
  const base = parsedFile(text, file);
  const over = overlay ? parsedFile(overlay.text, overlay.file) : undefined;
  const at = (path: readonly PropertyKey[]): Located => locate(base, over, path);
  const raw = over ? mergeOverlay(base.raw, over.raw) : base.raw;
  const overlayProblems = over ? overlayRuleProblems(base.raw, over) : [];
  const result = overlayProblems.length ? undefined : configSchema.safeParse(raw);
  let problems: ConfigProblem[] = overlayProblems;
  if (result && !result.success) problems = result.error.issues.map((issue) => toProblem(issue, raw, at));
  else if (result?.success) problems = validateCrossFields(result.data).map((problem) => crossFieldProblem(problem, at));
  const root = dirname(file);
  const ownDataDir = isPlainMap(over?.raw) && isPlainMap(over.raw.agent) && over.raw.agent.dataDir !== undefined;
  if (result?.success && overlay && ownDataDir) {
    const mergedDir = resolveDataDir(root, result.data.agent.dataDir);
    const baseDir = resolveDataDir(root, ((base.raw as { agent?: { dataDir?: unknown } }).agent?.dataDir as string) ?? D.DEFAULT_DATA_DIR);
    if (mergedDir === baseDir)
      problems.push({
        path: 'agent.dataDir',
        message: `is the base config's data directory: environment ${overlay.name} would share its records and deploy lock; remove the key (the data directory is then ${baseDir}-${overlay.name}) or name another`,
        issue: 'environment_data_dir',
        ...at(['agent', 'dataDir']),
      });
  }
  if (!result?.success || problems.length > 0) throw invalidConfig(file, overlay, problems);
  return { config: result.data, ownDataDir };
}

function resolveDataDir(root: string, dataDir: string): string {
  return isAbsolute(dataDir) ? dataDir : resolve(root, dataDir);
}

function parsedFile(text: string, file: string): ParsedFile {
  const { doc, lineCounter, data } = readYaml(text, file);
  return { file, doc, lineCounter, raw: withoutExtensionKeys(data) };
}

/** What an overlay may not do: be anything but a mapping, or rename the service. */
function overlayRuleProblems(base: unknown, over: ParsedFile): ConfigProblem[] {
  const here = (path: PropertyKey[]) => ({ file: over.file, line: lineOf(over.doc, over.lineCounter, path) });
  if (!isPlainMap(over.raw))
    return [
      {
        path: '',
        message: 'an environment overlay is a mapping (key: value lines) of what differs from the base file',
        issue: 'invalid_type',
        ...here([]),
      },
    ];
  const baseService = isPlainMap(base) ? base.service : undefined;
  if (over.raw.service !== undefined && over.raw.service !== baseService)
    return [
      {
        path: 'service',
        message: `an environment may not rename the service (the base file says ${JSON.stringify(baseService)}): remove the key`,
        issue: 'environment_service',
        ...here(['service']),
      },
    ];
  return [];
}

function invalidConfig(file: string, overlay: OverlaySource | undefined, problems: ConfigProblem[]): CutoverError {
  const list = problems
    .map((p) => {
      const where = p.line
        ? overlay
          ? `${basename(p.file ?? file)}:${p.line}`
          : `line ${p.line}`
        : overlay
          ? basename(p.file ?? file)
          : undefined;
      const other =
        p.otherPath && `${p.otherPath}${p.otherLine ? ` at ${overlay ? `${basename(p.otherFile ?? file)}:` : 'line '}${p.otherLine}` : ''}`;
      const lines = [where, other].filter(Boolean);
      return `  ${p.path || '(top level)'}: ${p.message}${lines.length ? ` (${lines.join('; ')})` : ''}`;
    })
    .join('\n');
  const subject = overlay ? `${file} with environment ${overlay.name} (${overlay.file})` : file;
  const first = problems[0];
  const firstFile = first?.file ?? file;
  return new CutoverError(
    'CUT_ERR_CONFIG_INVALID',
    `${subject} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
    {
      where: first?.line ? `${firstFile}:${first.line}` : firstFile,
      hint: overlay
        ? 'fix each value listed in the file named; the overlay is merged over the base file (docs/environments.md), "cutover help config" describes every key'
        : 'fix each value listed; "cutover help config" describes every key',
      details: { problems },
    },
  );
}

/** The file and line of a path of the merged config. */
interface Located {
  file: string;
  line?: number;
}

function locate(base: ParsedFile, over: ParsedFile | undefined, path: readonly PropertyKey[]): Located {
  const source = over && sourceOfPath(base.raw, over.raw, path) === 'overlay' ? over : base;
  return { file: source.file, line: lineOf(source.doc, source.lineCounter, [...path]) };
}

/** Top-level keys starting with `x-` hold anchors for merge keys (`x-defaults: &defaults`); cutover ignores them. */
function withoutExtensionKeys(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')));
}

function toProblem(issue: z.core.$ZodIssue, raw: unknown, at: (path: readonly PropertyKey[]) => Located): ConfigProblem {
  let path = [...issue.path];
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0]];
  const { present, value } = valueAt(raw, issue.path);
  const known = issue.code === 'unrecognized_keys' ? knownKeysAt(configSchema, issue.path) : [];
  const message = describeIssue(issue, value, present, known);
  return { path: formatPath(path), message, issue: issue.code, ...at(path) };
}

function crossFieldProblem(problem: CrossFieldProblem, at: (path: readonly PropertyKey[]) => Located): ConfigProblem {
  const other = problem.otherPath && at(problem.otherPath);
  return {
    path: formatPath(problem.path),
    message: problem.message,
    issue: 'cross_field',
    ...at(problem.path),
    ...(problem.otherPath && other && { otherPath: formatPath(problem.otherPath), otherLine: other.line, otherFile: other.file }),
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
