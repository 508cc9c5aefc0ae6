import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { CutoverError } from '../errors/cutover-error.ts';

/** An environment's name: what `--env` and CUTOVER_ENV take, and the middle of its overlay's file name. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** The environment a command runs in and the overlay file that describes it. */
export interface EnvironmentOverlay {
  name: string;
  /** Absolute path of the overlay (`cutover.staging.yml` beside `cutover.yml`). */
  file: string;
}

/** The overlay of environment `name` for a base config file: `cutover.yml` → `cutover.staging.yml`. */
export function overlayFileFor(baseFile: string, name: string): string {
  const ext = extname(baseFile);
  if (ext === '.yml' || ext === '.yaml') return `${baseFile.slice(0, -ext.length)}.${name}${ext}`;
  return `${baseFile}.${name}`;
}

/** Returns `name` when it is an environment name (`from` says where it was given), else refuses it. */
export function checkEnvironmentName(name: string, from: string): string {
  if (!ENVIRONMENT_NAME.test(name)) {
    throw new CutoverError('CUT_ERR_ENVIRONMENT_NAME', `${JSON.stringify(name)} (${from}) is not an environment name`, {
      hint: 'an environment name is lower-case letters, digits, "-" or "_", starting with a letter, at most 32, e.g. staging',
      details: { environment: name },
    });
  }
  return name;
}

/** Checks an environment name and finds its overlay; an environment without an overlay file does not exist. */
export function findOverlay(baseFile: string, name: string, from: string): EnvironmentOverlay {
  checkEnvironmentName(name, from);
  const file = overlayFileFor(baseFile, name);
  if (!existsSync(file)) {
    const known = environmentsBeside(baseFile);
    throw new CutoverError('CUT_ERR_ENVIRONMENT_UNKNOWN', `there is no environment "${name}" (${from}): ${file} does not exist`, {
      where: file,
      hint: known.length
        ? `environments of ${basename(baseFile)}: ${known.join(', ')}; or write ${basename(file)} (docs/environments.md)`
        : `write ${basename(file)} beside ${basename(baseFile)} with what differs in ${name} (docs/environments.md)`,
      details: { environment: name, known },
    });
  }
  return { name, file };
}

/** The environments that have an overlay beside `baseFile`. */
export function environmentsBeside(baseFile: string): string[] {
  const ext = extname(baseFile);
  const stem = basename(baseFile, ext);
  const names: string[] = [];
  try {
    for (const entry of readdirSync(dirname(baseFile))) {
      if (!entry.startsWith(`${stem}.`) || (ext && !entry.endsWith(ext))) continue;
      const middle = entry.slice(stem.length + 1, ext ? -ext.length : undefined);
      if (ENVIRONMENT_NAME.test(middle) && join(dirname(baseFile), entry) === overlayFileFor(baseFile, middle)) names.push(middle);
    }
  } catch {
    // an unreadable directory lists nothing
  }
  return names.sort();
}

type Plain = Record<string, unknown>;

export function isPlainMap(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The overlay merged over the base, the rules docs/environments.md states: mappings are merged key by
 * key (at every depth), anything else the overlay sets (a list, a scalar, a mapping over a list)
 * replaces the base's value whole, and `null` removes the key from the base.
 */
export function mergeOverlay(base: unknown, overlay: unknown): unknown {
  if (!isPlainMap(base) || !isPlainMap(overlay)) return overlay;
  const merged: Plain = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete merged[key];
    else merged[key] = isPlainMap(value) && isPlainMap(base[key]) ? mergeOverlay(base[key], value) : value;
  }
  return merged;
}

/**
 * Which of the two files a path of the merged config comes from: the overlay when it sets the path
 * (or replaced a list or value above it, or removed it), else the base. A key required but missing
 * is put in the file that holds more of its path.
 */
export function sourceOfPath(base: unknown, overlay: unknown, path: readonly PropertyKey[]): 'base' | 'overlay' {
  const inOverlay = walk(overlay, path);
  if (inOverlay.depth === path.length) return 'overlay';
  if (inOverlay.depth > 0 && !isPlainMap(inOverlay.node)) return 'overlay';
  const inBase = walk(base, path);
  if (inBase.depth === path.length) return 'base';
  return inOverlay.depth > inBase.depth ? 'overlay' : 'base';
}

function walk(data: unknown, path: readonly PropertyKey[]): { depth: number; node: unknown } {
  let node = data;
  let depth = 0;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) break;
    node = (node as Record<PropertyKey, unknown>)[key];
    depth++;
  }
  return { depth, node };
}
