import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { type Document, isMap, isScalar, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { CutoverError } from '../errors/cutover-error.ts';
import * as D from './defaults.ts';
import { describeIssue } from './describe-issue.ts';
import { parseEnvFile } from './env-file.ts';
import { readEnvironmentMarker } from './environment-marker.ts';
import { type EnvironmentOverlay, findOverlay, isPlainMap, mergeOverlay, sourceOfPath } from './environment-overlay.ts';
import { selectedEnvironment } from './environment-selection.ts';
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
  /** The file the problem is in: the base file, or the environment's overlay that set the value. */
  file?: string;
  line?: number;
  /** For a rule between two keys: the other key, and its line. */
  otherPath?: string;
  otherLine?: number;
  otherFile?: string;
}

/** A validated, frozen config plus where it came from. */
export interface LoadedConfig {
  file: string;
  /** Directory of cutover.yml: relative paths in the config resolve from here. */
  root: string;
  config: ParsedConfig;
  /** Env for every process: env files first, then `env:`; later wins. */
  env: Readonly<Record<string, string>>;
  /** Absolute data directory of the agent (an environment's own: records, lock, releases). */
  dataDir: string;
  /** The environment (--env, CUTOVER_ENV) whose overlay was merged over `file`; null: the base file alone. */
  environment: EnvironmentOverlay | null;
}

/** An environment's overlay as text, the way a submission carries it to the controller. */
export interface OverlaySource extends EnvironmentOverlay {
  text: string;
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

/**
 * Reads, validates and freezes cutover.yml, with the overlay of the environment asked for (--env,
 * CUTOVER_ENV) merged over it. Throws CUT_ERR_CONFIG_* listing every problem with the file it is in;
 * starts nothing.
 */
export function loadConfig(
  cwd: string,
  explicit?: string,
  environment: { name: string; from: string } | undefined = selectedEnvironment(),
): LoadedConfig {
  const file = resolveConfigPath(cwd, explicit);
  const text = readConfigFile(file);
  const overlay = environment ? findOverlay(file, environment.name, environment.from) : undefined;
  const loaded = parseConfigText(text, file, overlay && { ...overlay, text: readConfigFile(overlay.file) });
  checkDataDirEnvironment(loaded);
  return loaded;
}

function readConfigFile(file: string): string {
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: stats.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    // A file over the limit is refused from its head, never read whole.
    if (stats.size > MAX_CONFIG_BYTES) throw tooLarge(file, readHead(file, MAX_CONFIG_BYTES), stats.size);
    return readFileSync(file, 'utf8');
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

/** Validates config text (and an environment's overlay over it, as loadConfig does); reads no file but env files. */
export function parseConfigText(text: string, file: string, overlay?: OverlaySource): LoadedConfig {
  try {
    return validateConfigText(text, file, overlay);
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

/** One parsed file of a config: the base, or an environment's overlay. */
interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  raw: unknown;
}

function validateConfigText(text: string, file: string, overlay?: OverlaySource): LoadedConfig {
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
  const config = result.data;
  const env: Record<string, string> = {};
  for (const envFile of config.envFiles) Object.assign(env, parseEnvFile(resolve(root, envFile)));
  Object.assign(env, config.env);
  const dataDir = resolveDataDir(root, config.agent.dataDir);
  return deepFreeze({
    file,
    root,
    config,
    env,
    dataDir: overlay && !ownDataDir ? `${dataDir}-${overlay.name}` : dataDir,
    environment: overlay ? { name: overlay.name, file: overlay.file } : null,
  });
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

/** The data directory of this config records the environment it belongs to; another environment's is refused. */
function checkDataDirEnvironment(loaded: LoadedConfig): void {
  const recorded = readEnvironmentMarker(loaded.dataDir);
  const mine = loaded.environment?.name ?? null;
  if (recorded === undefined || recorded === mine) return;
  const label = (name: string | null) => (name === null ? 'the base config (no --env)' : `environment ${name}`);
  throw new CutoverError(
    'CUT_ERR_ENVIRONMENT_DATA_DIR',
    `the data directory ${loaded.dataDir} belongs to ${label(recorded)}, not to ${label(mine)}`,
    {
      where: loaded.environment?.file ?? loaded.file,
      hint: `give each environment its own agent.dataDir (or leave it out of the overlay: an environment's default is <dataDir>-<name>); or pass ${recorded === null ? 'no --env' : `--env ${recorded}`}`,
      details: { dataDir: loaded.dataDir, recorded, environment: mine },
    },
  );
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

function toProblem(issue: z.core.$ZodIssue, raw: unknown, at: (path: readonly PropertyKey[]) => Located): ConfigProblem {
  let path = [...issue.path];
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0]];
  const { present, value } = valueAt(raw, issue.path);
  const message = describeIssue(issue, value, present);
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
