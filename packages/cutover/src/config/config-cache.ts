import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../shared/write-file-atomic.ts';
import { DEFAULT_DATA_DIR } from './defaults.ts';
import type { ParsedConfig } from './schema.ts';

/** The cache of validated configs, in the default data directory beside cutover.yml. */
export const CONFIG_CACHE_FILE = 'config-cache.json';
/** Texts kept (the current cutover.yml, and the ones of recent deployments the controller reads back). */
export const CONFIG_CACHE_ENTRIES = 8;

interface CacheEntry {
  /** sha256 of the cutover.yml text (and of the environment's name and overlay text, for an environment). */
  key: string;
  config: ParsedConfig;
  /** An environment's overlay that sets agent.dataDir itself. */
  ownDataDir?: boolean;
}

/** What a config was validated from: cutover.yml's text, and for an environment its overlay. */
export interface ConfigSource {
  /** Path of cutover.yml. */
  file: string;
  text: string;
  overlay?: { name: string; text: string };
}

/** A validated config, as the cache gives it back. */
export interface CachedConfig {
  config: ParsedConfig;
  ownDataDir?: boolean;
}

interface CacheFile {
  version: 1;
  /** The validating code this cache was written by (validatorFingerprint()). */
  fingerprint: string;
  entries: CacheEntry[];
}

/**
 * Validating cutover.yml loads the YAML parser and the zod schema of every section: about 170
 * modules, most of the start-up of a verb such as `cutover status`. The result depends on the text
 * and on cutover's own validating code only (the schema reads no file, no env and no clock), so a
 * text validated once is kept here and later loads skip the parse. Only valid configs are kept:
 * an invalid file is validated (and reported) every time. The cache lives in the data directory
 * (0700, written 0600 like every file there: it holds no more than cutover.yml and cutover.db
 * already do), only when that is the default `.cutover` beside cutover.yml and it already exists,
 * so a verb that only reads creates no directory. An environment's config (cutover.yml with its
 * overlay merged) is kept in that environment's own data directory, `.cutover-<name>`, on the same
 * terms. A cache file this user does not own, or that others may write, is ignored. Env files are
 * never cached: they are read on every load.
 */
export function readCachedConfig(source: ConfigSource): CachedConfig | undefined {
  const path = join(cacheDir(source), CONFIG_CACHE_FILE);
  try {
    const stats = statSync(path);
    if (!stats.isFile() || (process.getuid && stats.uid !== process.getuid()) || (stats.mode & 0o022) !== 0) return undefined;
    const cache = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (cache.version !== 1 || cache.fingerprint !== validatorFingerprint()) return undefined;
    const key = keyOf(source);
    const entry = cache.entries.find((candidate) => candidate.key === key);
    return entry && { config: entry.config, ...(entry.ownDataDir && { ownDataDir: true }) };
  } catch {
    return undefined;
  }
}

/** Keeps a validated config (best effort: a cache that cannot be written changes nothing else). */
export function writeCachedConfig(source: ConfigSource, validated: CachedConfig, dataDir: string): void {
  const dir = cacheDir(source);
  if (dataDir !== dir || !existsSync(dir)) return;
  const path = join(dir, CONFIG_CACHE_FILE);
  const fingerprint = validatorFingerprint();
  const key = keyOf(source);
  const { config, ownDataDir } = validated;
  let entries: CacheEntry[] = [];
  try {
    const cache = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (cache.version === 1 && cache.fingerprint === fingerprint) entries = cache.entries.filter((entry) => entry.key !== key);
  } catch {
    // No cache yet, or one from another cutover: start a new one.
  }
  const next: CacheFile = {
    version: 1,
    fingerprint,
    entries: [{ key, config, ...(ownDataDir && { ownDataDir: true }) }, ...entries].slice(0, CONFIG_CACHE_ENTRIES),
  };
  try {
    writeFileAtomic(path, JSON.stringify(next));
  } catch {
    // Not written: the next load validates again.
  }
}

/** The default data directory of the config: `.cutover` beside cutover.yml, `.cutover-<name>` for an environment. */
function cacheDir({ file, overlay }: ConfigSource): string {
  return resolve(dirname(file), overlay ? `${DEFAULT_DATA_DIR}-${overlay.name}` : DEFAULT_DATA_DIR);
}

function keyOf({ text, overlay }: ConfigSource): string {
  const hash = createHash('sha256').update(text);
  if (overlay) hash.update(`\0environment\0${overlay.name}\0`).update(overlay.text);
  return hash.digest('hex');
}

let fingerprint: string | undefined;

/**
 * Names, sizes and modification times of the files that validate a config (this folder, and the
 * duration parser the schema uses): an upgraded or edited cutover never reads an older cutover's
 * cache.
 */
export function validatorFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const here = dirname(fileURLToPath(import.meta.url));
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const files = [
    ...readdirSync(here)
      .filter((name) => name.endsWith(ext))
      .sort()
      .map((name) => join(here, name)),
    join(here, '..', 'shared', `duration${ext}`),
  ];
  const hash = createHash('sha256').update(process.version);
  for (const path of files) {
    const stats = statSync(path);
    hash.update(`${path}\0${stats.size}\0${stats.mtimeMs}\n`);
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}
