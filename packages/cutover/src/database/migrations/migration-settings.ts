import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import type { LintSeverity } from '../lint/lint-rule.ts';

/** In migrations.directory, stands for the directory of the release being deployed (its migrations ship with its code). */
export const RELEASE_DIR_PLACEHOLDER = '{releaseDir}';

/** Everything a migrations run needs, resolved from cutover.yml and the environment. */
export interface MigrationSettings {
  databaseUrl: string;
  /** Absolute path of the migrations directory. */
  directory: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockWaitMs: number;
  lockRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  lintRules: Readonly<Record<string, LintSeverity | 'off'>>;
  /** Recorded in history as applied_by (default: user@host). */
  appliedBy: string;
}

/** Reads the `migrations` section; undefined when the config has none. The URL env var is read from the process, then the service env. */
export function resolveMigrationSettings(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
  releaseDir?: string,
): MigrationSettings | undefined {
  const section = loaded.config.migrations;
  if (!section) return undefined;
  if (section.directory.includes(RELEASE_DIR_PLACEHOLDER) && releaseDir === undefined) {
    throw new CutoverError(
      'CUT_ERR_MIGRATE_NOT_CONFIGURED',
      `migrations.directory (${section.directory}) depends on the release, and none was named`,
      {
        where: `${loaded.file}: migrations.directory`,
        hint: 'pass --release <name> to say whose migrations to use',
      },
    );
  }
  let databaseUrl = section.databaseUrl;
  if (!databaseUrl && section.databaseUrlEnv) {
    databaseUrl = env[section.databaseUrlEnv] ?? loaded.env[section.databaseUrlEnv];
    if (!databaseUrl) {
      throw new CutoverError('CUT_ERR_MIGRATE_DATABASE_URL_MISSING', `environment variable ${section.databaseUrlEnv} is not set`, {
        where: `${loaded.file}: migrations.databaseUrlEnv`,
        hint: `export ${section.databaseUrlEnv}=postgres://user@host/db, or add it to the service env or secrets: of cutover.yml (a deployment reads secrets)`,
      });
    }
  }
  if (!databaseUrl) {
    throw new CutoverError('CUT_ERR_MIGRATE_NOT_CONFIGURED', 'the migrations section names no database', {
      where: `${loaded.file}: migrations`,
      hint: 'set migrations.databaseUrlEnv (e.g. DATABASE_URL) or migrations.databaseUrl',
    });
  }
  return {
    databaseUrl,
    directory: resolve(loaded.root, section.directory.replaceAll(RELEASE_DIR_PLACEHOLDER, releaseDir ?? '')),
    lockTimeoutMs: section.lockTimeoutMs,
    statementTimeoutMs: section.statementTimeoutMs,
    lockWaitMs: section.lockWaitMs,
    lockRetries: section.lockRetries,
    retryBaseMs: section.retryBaseMs,
    retryMaxMs: section.retryMaxMs,
    lintRules: section.lint.rules,
    appliedBy: defaultAppliedBy(),
  };
}

export function defaultAppliedBy(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return `${user}@${hostname()}`;
}
