import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CutoverError } from '../../errors/cutover-error.ts';
import { runProcess } from '../../shared/run-process.ts';

/** Where Debian/Ubuntu install each PostgreSQL major's programs. */
export const PG_LIB_DIR = '/usr/lib/postgresql';
const VERSION_TIMEOUT_MS = 10_000;

export interface PgTool {
  path: string;
  /** e.g. "15.20". */
  version: string;
  major: number;
}

/** Directories that may hold PostgreSQL programs, newest major first, then PATH. */
export function listPgBinDirs(binDir?: string): string[] {
  if (binDir !== undefined) return [binDir];
  let majors: number[] = [];
  try {
    majors = readdirSync(PG_LIB_DIR)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0)
      .sort((a, b) => b - a);
  } catch {
    // not a Debian layout
  }
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...majors.map((m) => join(PG_LIB_DIR, String(m), 'bin')), ...pathDirs];
}

/** First executable named `name` in `dirs`, or undefined. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Parses "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)". */
export function parsePgToolVersion(text: string): { version: string; major: number } | undefined {
  const match = /\)\s+(\d+)(?:\.(\d+))?/.exec(text) ?? /\b(\d+)(?:\.(\d+))?\b/.exec(text);
  if (!match) return undefined;
  return { version: match[2] === undefined ? match[1] : `${match[1]}.${match[2]}`, major: Number(match[1]) };
}

/**
 * Finds pg_dump or pg_restore able to handle a server of `serverMajor`: pg_dump must be at least the
 * server's major version, so the newest candidate that qualifies wins.
 */
export async function findPgTool(
  name: 'pg_dump' | 'pg_restore' | 'pg_basebackup' | 'pg_ctl',
  serverMajor: number,
  binDir?: string,
): Promise<PgTool> {
  const seen: string[] = [];
  for (const dir of listPgBinDirs(binDir)) {
    const path = findExecutable(name, [dir]);
    if (path === undefined) continue;
    const result = await runProcess(path, ['--version'], { timeoutMs: VERSION_TIMEOUT_MS });
    const parsed = result.exitCode === 0 ? parsePgToolVersion(result.stdout) : undefined;
    if (parsed === undefined) continue;
    seen.push(`${path} (${parsed.version})`);
    if (parsed.major >= serverMajor) return { path, ...parsed };
  }
  throw new CutoverError(
    'CUT_ERR_BACKUP_TOOL_MISSING',
    seen.length === 0
      ? `${name} was not found (looked in ${binDir ?? `${PG_LIB_DIR}/*/bin and PATH`})`
      : `${name} must be version ${serverMajor} or newer for this server; found only ${seen.join(', ')}`,
    {
      hint: `install the PostgreSQL ${serverMajor} client tools (Debian: apt-get install postgresql-client-${serverMajor}) or set backup.binDir`,
      details: { name, serverMajor, found: seen },
    },
  );
}
