import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type Document, isMap, isScalar, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import { describeIssue } from './describe-issue.ts';
import { parseEnvFile } from './env-file.ts';
import { MAX_CONFIG_BYTES, readYaml, tooLarge } from './read-yaml.ts';
import { configSchema, type ParsedConfig } from './schema.ts';
import { type CrossFieldProblem, validateCrossFields } from './validate-cross-fields.ts';

export const CONFIG_FILE_NAME = 'cutover.yml';

/** One problem found in cutover.yml: where, what, and a stable issue code. */
export interface ConfigProblem {
  /** Dotted path with indexes, e.g. `rollout.steps[2].weight`. */
  path: string;
  message: string;
  /** zod's issue code (invalid_type, too_small, unrecognized_keys, custom...). */
  issue: string;
  line?: number;
  /** For a rule between two keys: the other key, and its line. */
  otherPath?: string;
  otherLine?: number;
}

/** A validated, frozen config plus where it came from. */
export interface LoadedConfig {
  file: string;
  /** Directory of cutover.yml: relative paths in the config resolve from here. */
  root: string;
  config: ParsedConfig;
  /** Env for every process: env files first, then `env:`; later wins. */
  env: Readonly<Record<string, string>>;
  /** Absolute data directory of the agent. */
  dataDir: string;
}

/** Finds cutover.yml: an explicit path, or ./cutover.yml. */
export function resolveConfigPath(cwd: string, explicit?: string): string {
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, CONFIG_FILE_NAME);
  if (!existsSync(file)) {
    throw new CutoverError('CUT_ERR_CONFIG_NOT_FOUND', `no config file at ${file}`, {
      where: file,
      hint: explicit ? 'check the --config path' : 'run "cutover init" to write one, or pass --config <path>',
    });
  }
  return file;
}

/** Reads, validates and freezes cutover.yml. Throws CUT_ERR_CONFIG_* listing every problem; starts nothing. */
export function loadConfig(cwd: string, explicit?: string): LoadedConfig {
  const file = resolveConfigPath(cwd, explicit);
  let text: string;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: stats.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    // A file over the limit is refused from its head, never read whole.
    if (stats.size > MAX_CONFIG_BYTES) throw tooLarge(file, readHead(file, MAX_CONFIG_BYTES), stats.size);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof CutoverError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CutoverError(
      'CUT_ERR_CONFIG_UNREADABLE',
      `${file} cannot be read (${code === 'EISDIR' ? 'it is a directory' : (code ?? String(error))})`,
      {
        where: file,
        hint:
          code === 'EISDIR' ? 'pass the file itself: --config <dir>/cutover.yml' : 'check the file exists and that this user may read it',
      },
    );
  }
  return parseConfigText(text, file);
}

function readHead(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  try {
    return validateConfigText(text, file);
  } catch (error) {
    if (error instanceof CutoverError) throw error;
    // A safety net: whatever the YAML library or a schema throws is still a config error, with a line.
    throw new CutoverError('CUT_ERR_CONFIG_PARSE', `${file}:1: cutover could not read this file: ${(error as Error).message}`, {
      where: `${file}:1`,
      hint: 'simplify the file (plain mappings, lists and scalars) and try again; please report the file that caused this',
      details: { line: 1 },
    });
  }
}

function validateConfigText(text: string, file: string): LoadedConfig {
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
  const root = dirname(file);
  const config = result.data;
  const env: Record<string, string> = {};
  for (const envFile of config.envFiles) Object.assign(env, parseEnvFile(resolve(root, envFile)));
  Object.assign(env, config.env);
  return deepFreeze({
    file,
    root,
    config,
    env,
    dataDir: isAbsolute(config.agent.dataDir) ? config.agent.dataDir : resolve(root, config.agent.dataDir),
  });
}

/** Top-level keys starting with `x-` hold anchors for merge keys (`x-defaults: &defaults`); cutover ignores them. */
function withoutExtensionKeys(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')));
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
