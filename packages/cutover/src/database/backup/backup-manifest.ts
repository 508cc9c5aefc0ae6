import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';

export const MANIFEST_FORMAT_VERSION = 1;

/** One user table as seen in the backup's snapshot. */
export interface TableSnapshot {
  schema: string;
  name: string;
  /** "name type" in column order, e.g. "id bigint". */
  columns: string[];
  rows: number;
  /** false when the count is the planner's estimate (table larger than exactCountMaxBytes). */
  rowsExact: boolean;
}

export interface SequenceSnapshot {
  schema: string;
  name: string;
  /** null when the sequence was never used. */
  lastValue: string | null;
}

export interface BackupVerification {
  verified: boolean;
  at: string;
  durationMs: number;
  /** Empty when verified; otherwise one sentence per difference. */
  problems: string[];
}

/** `<id>.json` next to `<id>.dump`: everything needed to judge and restore the dump. */
export interface BackupManifest {
  formatVersion: number;
  id: string;
  service: string;
  /** ISO time the dump's snapshot was taken. */
  created: string;
  /** File name of the dump, next to the manifest. */
  file: string;
  sha256: string;
  sizeBytes: number;
  durationMs: number;
  database: { name: string; host: string; port: number; user: string };
  serverVersion: string;
  pgDumpVersion: string;
  /** Latest applied cutover migration at backup time; null when the database has none. */
  migrationVersion: string | null;
  /** How rows were counted, in words, for whoever reads the manifest. */
  countMethod: string;
  tables: TableSnapshot[];
  sequences: SequenceSnapshot[];
  /** The deployment that took it, when taken by the pipeline. */
  deploymentId?: string;
  release?: string;
  /** null until `cutover db verify` ran; then the outcome of the last verify. */
  verified: boolean | null;
  verification: BackupVerification | null;
}

/** `<dataDir>/backups/<service>`. */
export function backupDir(loaded: LoadedConfig): string {
  return join(loaded.dataDir, 'backups', loaded.config.service);
}

/** Sortable by time: 20260512T143012Z-3fa9. */
export function newBackupId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

const ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

export function isBackupId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export function manifestPath(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

export function dumpPath(dir: string, id: string): string {
  return join(dir, `${id}.dump`);
}

/** Atomic: a reader never sees half a manifest. */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${manifest.id}.json.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, manifestPath(dir, manifest.id));
}

export async function readManifest(dir: string, id: string): Promise<BackupManifest> {
  if (!isBackupId(id)) {
    throw new CutoverError('CUT_ERR_BACKUP_NOT_FOUND', `"${id}" is not a backup id`, {
      hint: 'run "cutover db backups" to list the ids (they look like 20260512T143012Z-3fa9)',
    });
  }
  let text: string;
  try {
    text = await readFile(manifestPath(dir, id), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new CutoverError('CUT_ERR_BACKUP_NOT_FOUND', `no backup ${id} in ${dir}`, {
      where: dir,
      hint: 'run "cutover db backups" to list the backups of this service',
    });
  }
  return JSON.parse(text) as BackupManifest;
}

/** Every manifest in the directory, newest first. Unreadable manifests are skipped, not fatal. */
export async function listManifests(dir: string): Promise<BackupManifest[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const manifests: BackupManifest[] = [];
  for (const name of names) {
    const id = name.replace(/\.json$/, '');
    if (!name.endsWith('.json') || !isBackupId(id)) continue;
    try {
      manifests.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as BackupManifest);
    } catch {
      // a manifest being replaced or damaged: not a backup we can vouch for
    }
  }
  return manifests.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : b.id.localeCompare(a.id)));
}
