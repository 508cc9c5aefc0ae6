import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.ts';
import type { PitrConfig } from '../../config/schema-checks.ts';
import { CutoverError } from '../../errors/cutover-error.ts';

export const BASE_BACKUP_FORMAT_VERSION = 1;

/** `<id>.json` beside the directory `<id>/` that pg_basebackup wrote (base.tar.gz, pg_wal.tar.gz, backup_manifest). */
export interface BaseBackupManifest {
  formatVersion: number;
  id: string;
  service: string;
  /** Server time when the backup started. */
  started: string;
  /**
   * Server time after pg_basebackup returned: the backup is consistent at some point before it, so
   * it can recover to any time from here on (with the archived WAL).
   */
  consistentAt: string;
  durationMs: number;
  sizeBytes: number;
  timeline: number;
  startLsn: string;
  endLsn: string;
  /** The first WAL segment recovery from this backup needs: older segments are only needed by older backups. */
  startWalFile: string;
  walSegmentBytes: number;
  database: { host: string; port: number; user: string };
  serverVersion: string;
  pgBaseBackupVersion: string;
  archiveDir: string;
}

/** `backup.pitr.baseBackupDir`, default `<dataDir>/basebackups/<service>`. */
export function baseBackupDir(loaded: LoadedConfig, pitr: PitrConfig): string {
  if (pitr.baseBackupDir === undefined) return join(loaded.dataDir, 'basebackups', loaded.config.service);
  return isAbsolute(pitr.baseBackupDir) ? pitr.baseBackupDir : resolve(loaded.root, pitr.baseBackupDir);
}

/** The pitr section, or a user-facing error when `backup.pitr` is missing. */
export function requirePitrConfig(loaded: LoadedConfig): PitrConfig {
  const pitr = loaded.config.backup?.pitr;
  if (pitr === undefined) {
    throw new CutoverError('CUT_ERR_PITR_NOT_CONFIGURED', `${loaded.file} has no backup.pitr section`, {
      where: `${loaded.file}: backup`,
      hint: 'add "backup: { pitr: { archiveDir: /var/lib/postgresql/wal-archive } }" and turn on archiving (docs/backups.md)',
    });
  }
  return pitr;
}

/** Sortable by time, like dump ids, with a b- prefix: b-20260512T020000Z-3fa9. */
export function newBaseBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `b-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function writeBaseBackupManifest(dir: string, manifest: BaseBackupManifest): Promise<void> {
  const file = join(dir, `${manifest.id}.json`);
  await writeFile(`${file}.partial`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.partial`, file);
}

/** Every base backup of the directory, newest first (a manifest that cannot be read is skipped). */
export async function listBaseBackups(dir: string): Promise<BaseBackupManifest[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const manifests: BaseBackupManifest[] = [];
  for (const file of files.filter((f) => /^b-.*\.json$/.test(f))) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, file), 'utf8')) as BaseBackupManifest;
      if (manifest.formatVersion === BASE_BACKUP_FORMAT_VERSION) manifests.push(manifest);
    } catch {
      // a manifest being written or damaged is not a backup to offer
    }
  }
  return manifests.sort((a, b) => b.consistentAt.localeCompare(a.consistentAt));
}

/** The newest base backup consistent before `target`: recovery replays WAL from it up to the target. */
export function chooseBaseBackup(manifests: readonly BaseBackupManifest[], target: Date): BaseBackupManifest | undefined {
  return manifests.find((m) => new Date(m.consistentAt).getTime() <= target.getTime());
}
