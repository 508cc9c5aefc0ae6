import type { LoadedConfig } from '../../config/load-config.ts';
import { lookupEnv } from '../../config/lookup-env.ts';
import { type BackupConfig, DEFAULT_BACKUP_URL_ENV } from '../../config/schema-checks.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { type PgTarget, parsePgUrl } from './pg-target.ts';

/** The backup section, or a user-facing error when cutover.yml has none. */
export function requireBackupConfig(loaded: LoadedConfig): BackupConfig {
  const config = loaded.config.backup;
  if (config === undefined) {
    throw new CutoverError('CUT_ERR_BACKUP_NOT_CONFIGURED', `${loaded.file} has no backup section`, {
      where: loaded.file,
      hint: 'add "backup: {}" to cutover.yml (it backs up the migrations database, or DATABASE_URL); see docs/backups.md',
    });
  }
  return config;
}

interface UrlSource {
  url?: string;
  env?: string;
  label: string;
}

/**
 * Where the database URL comes from, first match wins: backup.databaseUrl, backup.databaseUrlEnv,
 * migrations.databaseUrl, migrations.databaseUrlEnv, then DATABASE_URL. Backing up the database the
 * migrations change is the point, so by default both sections name the same one.
 */
export function backupUrlSources(loaded: LoadedConfig, config: BackupConfig): UrlSource[] {
  // Read loosely: the migrations section belongs to the migrations runner and may change shape.
  const migrations = (loaded.config as { migrations?: { databaseUrl?: string; databaseUrlEnv?: string } }).migrations;
  const sources: UrlSource[] = [];
  if (config.databaseUrl !== undefined) sources.push({ url: config.databaseUrl, label: 'backup.databaseUrl' });
  if (config.databaseUrlEnv !== undefined) sources.push({ env: config.databaseUrlEnv, label: 'backup.databaseUrlEnv' });
  if (migrations?.databaseUrl !== undefined) sources.push({ url: migrations.databaseUrl, label: 'migrations.databaseUrl' });
  if (migrations?.databaseUrlEnv !== undefined) sources.push({ env: migrations.databaseUrlEnv, label: 'migrations.databaseUrlEnv' });
  sources.push({ env: DEFAULT_BACKUP_URL_ENV, label: 'the default' });
  return sources;
}

/** The database to back up; see backupUrlSources for the order. */
export function resolveBackupTarget(loaded: LoadedConfig, config: BackupConfig): PgTarget {
  const sources = backupUrlSources(loaded, config);
  // An explicitly named env var that is empty is an error, not a reason to fall through to another database.
  const first = sources[0];
  const url = first.url ?? (first.env === undefined ? undefined : lookupEnv(loaded, first.env));
  if (url === undefined) {
    throw new CutoverError('CUT_ERR_BACKUP_NO_DATABASE_URL', `no database URL for backups: ${first.env} (${first.label}) is not set`, {
      where: `${loaded.file}: backup`,
      hint: `set ${first.env} (in env:, an env file or the environment), or set backup.databaseUrl or backup.databaseUrlEnv`,
    });
  }
  return parsePgUrl(url);
}
