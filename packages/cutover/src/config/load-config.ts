import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import { parseEnvFile } from './env-file.ts';
import { configSchema, type ParsedConfig } from './schema.ts';

export const CONFIG_FILE_NAME = 'cutover.yml';

/** One problem found in cutover.yml: where, what, and a stable issue code. */
export interface ConfigProblem {
  /** Dotted path with indexes, e.g. `rollout.steps[2].weight`. */
  path: string;
  message: string;
  /** zod's issue code (invalid_type, too_small, unrecognized_keys, custom...). */
  issue: string;
  line?: number;
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
  return parseConfigText(readFileSync(file, 'utf8'), file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0].line ?? lineCounter.linePos(first.pos[0]).line;
    throw new CutoverError('CUT_ERR_CONFIG_PARSE', `${file}${line ? `:${line}` : ''}: ${first.message.split('\n')[0]}`, {
      where: line ? `${file}:${line}` : file,
      hint: 'fix the YAML syntax at that line',
    });
  }
  const raw = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => toProblem(issue, doc, lineCounter));
    const list = problems.map((p) => `  ${p.path || '(top level)'}: ${p.message}${p.line ? ` (line ${p.line})` : ''}`).join('\n');
    throw new CutoverError(
      'CUT_ERR_CONFIG_INVALID',
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
      {
        where: file,
        hint: 'fix each value listed; docs/configuration.md describes every key',
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

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function toProblem(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter): ConfigProblem {
  let path = [...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    path = [...path, issue.keys[0]];
  } else if (issue.code === 'invalid_type' && issue.input === undefined) {
    message = 'is required';
  }
  return { path: formatPath(path), message, issue: issue.code, line: lineOf(doc, lineCounter, path) };
}

function lineOf(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: PropertyKey[]): number | undefined {
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
