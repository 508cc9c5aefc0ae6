import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CutoverError } from '../errors/cutover-error.ts';
import { readCachedConfig, writeCachedConfig } from './config-cache.ts';
import { MAX_CONFIG_BYTES, tooLarge } from './config-limits.ts';
import { parseEnvFile } from './env-file.ts';
import { readEnvironmentMarker } from './environment-marker.ts';
import { type EnvironmentOverlay, findOverlay } from './environment-overlay.ts';
import { selectedEnvironment } from './environment-selection.ts';
import type { ParsedConfig } from './schema.ts';

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

/**
 * Validates cutover.yml text into a frozen LoadedConfig. A text validated before (the same bytes,
 * the same cutover; for an environment, the same overlay too) comes from the cache in the data
 * directory (config-cache.ts) without loading the YAML parser or the schema; env files are read anew
 * every time.
 */
export function parseConfigText(text: string, file: string, overlay?: OverlaySource): LoadedConfig {
  try {
    const source = { file, text, ...(overlay && { overlay: { name: overlay.name, text: overlay.text } }) };
    const cached = readCachedConfig(source);
    const validated =
      cached ?? (overlay ? validator().validateConfigOverlay(text, file, overlay) : { config: validator().validateConfigText(text, file) });
    const base = loaded(validated.config, file);
    const result: LoadedConfig = overlay
      ? deepFreeze({
          ...base,
          // An environment has a data directory of its own, unless its overlay names one.
          dataDir: validated.ownDataDir ? base.dataDir : `${base.dataDir}-${overlay.name}`,
          environment: { name: overlay.name, file: overlay.file },
        })
      : base;
    if (!cached) writeCachedConfig(source, validated, result.dataDir);
    return result;
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

/** The validating half of this module, loaded on first use: it brings the YAML parser and zod. */
function validator(): typeof import('./validate-config-text.ts') {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return createRequire(import.meta.url)(`./validate-config-text${ext}`);
}

function loaded(config: ParsedConfig, file: string): LoadedConfig {
  const root = dirname(file);
  const env: Record<string, string> = {};
  for (const envFile of config.envFiles) Object.assign(env, parseEnvFile(resolve(root, envFile)));
  Object.assign(env, config.env);
  return deepFreeze({
    file,
    root,
    config,
    env,
    dataDir: isAbsolute(config.agent.dataDir) ? config.agent.dataDir : resolve(root, config.agent.dataDir),
    environment: null,
  });
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

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
