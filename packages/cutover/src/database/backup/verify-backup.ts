import { access } from 'node:fs/promises';
import type { LoadedConfig } from '../../config/load-config.ts';
import { describeExit, runProcess } from '../../shared/run-process.ts';
import { type BackupManifest, backupDir, dumpPath, readManifest, writeManifest } from './backup-manifest.ts';
import { buildPgRestoreArgs, buildPgRestoreListArgs } from './build-pg-restore-args.ts';
import { compareSnapshots } from './compare-snapshots.ts';
import { connectPg } from './connect-pg.ts';
import { createEmptyDatabase, databaseName, dropDatabase } from './database-admin.ts';
import { findPgTool } from './find-pg-tool.ts';
import { buildPgEnv, withDatabase } from './pg-target.ts';
import { readDatabaseSnapshot, readServerVersion } from './read-database-snapshot.ts';
import { requireBackupConfig, resolveBackupTarget } from './resolve-backup-target.ts';
import { sha256File } from './sha256-file.ts';

export interface VerifyBackupOptions {
  loaded: LoadedConfig;
  id: string;
  log?: (message: string) => void;
  signal?: AbortSignal;
}

export interface VerifyBackupResult {
  id: string;
  verified: boolean;
  /** One sentence per difference or failure; empty when verified. */
  problems: string[];
  durationMs: number;
  /** Time pg_restore took: the restore time to expect for the real thing. */
  restoreMs: number | null;
  scratchDatabase: string;
  manifest: BackupManifest;
}

/**
 * Restore test: checks the sha256, parses the dump's table of contents, restores it into a scratch
 * database on the same server, compares tables, columns, row counts, sequences and the migration
 * version with the manifest, drops the scratch database and records the outcome in the manifest.
 * A failed verify is a value (verified: false), not an exception.
 */
export async function verifyBackup(options: VerifyBackupOptions): Promise<VerifyBackupResult> {
  const { loaded, id } = options;
  const log = options.log ?? (() => {});
  const config = requireBackupConfig(loaded);
  const dir = backupDir(loaded);
  const manifest = await readManifest(dir, id);
  const file = dumpPath(dir, id);
  const startedAt = performance.now();
  const target = resolveBackupTarget(loaded, config);
  const scratchDatabase = databaseName('cutover_verify', id);
  const problems: string[] = [];
  let restoreMs: number | null = null;

  const integrity = await checkIntegrity(file, manifest);
  problems.push(...integrity);
  if (problems.length === 0) {
    const admin = await connectPg(withDatabase(target, config.maintenanceDatabase));
    try {
      const server = await readServerVersion(admin);
      const pgRestore = await findPgTool('pg_restore', server.major, config.binDir);
      const list = await runProcess(pgRestore.path, buildPgRestoreListArgs(file), { timeoutMs: config.timeoutMs, signal: options.signal });
      if (list.exitCode !== 0) problems.push(`pg_restore --list ${describeExit(list, config.timeoutMs)}`);
      else {
        log(`restoring ${id} into scratch database ${scratchDatabase}`);
        await dropDatabase(admin, scratchDatabase);
        await createEmptyDatabase(admin, scratchDatabase, manifest.database.name);
        try {
          const scratch = withDatabase(target, scratchDatabase);
          const restore = await runProcess(pgRestore.path, buildPgRestoreArgs({ target: scratch, file, jobs: config.restoreJobs }), {
            env: { ...process.env, ...buildPgEnv(scratch) },
            timeoutMs: config.timeoutMs,
            signal: options.signal,
          });
          restoreMs = restore.durationMs;
          if (restore.exitCode !== 0) problems.push(`pg_restore ${describeExit(restore, config.timeoutMs)}`);
          else {
            const client = await connectPg(scratch);
            try {
              const restored = await readDatabaseSnapshot(client, { exactCountMaxBytes: Number.POSITIVE_INFINITY, inTransaction: false });
              problems.push(...compareSnapshots(manifest, restored));
            } finally {
              await client.end().catch(() => {});
            }
          }
        } finally {
          await dropDatabase(admin, scratchDatabase);
        }
      }
    } finally {
      await admin.end().catch(() => {});
    }
  }

  const durationMs = Math.round(performance.now() - startedAt);
  const verified = problems.length === 0;
  const updated: BackupManifest = {
    ...manifest,
    verified,
    verification: { verified, at: new Date().toISOString(), durationMs, problems },
  };
  await writeManifest(dir, updated);
  log(verified ? `backup ${id} verified in ${durationMs}ms` : `backup ${id} FAILED verification: ${problems.join('; ')}`);
  return { id, verified, problems, durationMs, restoreMs, scratchDatabase, manifest: updated };
}

/** Level-1 checks: the dump exists and its bytes are the ones recorded. */
export async function checkIntegrity(file: string, manifest: BackupManifest): Promise<string[]> {
  try {
    await access(file);
  } catch {
    return [`dump file ${file} is missing`];
  }
  const { sha256, sizeBytes } = await sha256File(file);
  if (sha256 !== manifest.sha256) {
    return [`sha256 mismatch: the manifest says ${manifest.sha256}, the file (${sizeBytes} bytes) hashes to ${sha256}`];
  }
  return [];
}
