import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.ts';
import type { BackupConfig } from '../../config/schema-checks.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { describeExit, runProcess } from '../../shared/run-process.ts';
import { type AppliedRetention, applyRetention } from './apply-retention.ts';
import {
  type BackupManifest,
  backupDir,
  dumpPath,
  MANIFEST_FORMAT_VERSION,
  manifestPath,
  newBackupId,
  writeManifest,
} from './backup-manifest.ts';
import { buildPgDumpArgs } from './build-pg-dump-args.ts';
import { connectPg } from './connect-pg.ts';
import { findPgTool } from './find-pg-tool.ts';
import { buildPgEnv, describePgTarget } from './pg-target.ts';
import { readDatabaseSnapshot, readServerVersion } from './read-database-snapshot.ts';
import { requireBackupConfig, resolveBackupTarget } from './resolve-backup-target.ts';
import { sha256File } from './sha256-file.ts';

export interface CreateBackupOptions {
  loaded: LoadedConfig;
  /** Recorded in the manifest when the pipeline takes the backup. */
  deploymentId?: string;
  release?: string;
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** Clock for ids and ages (tests). */
  now?: () => Date;
}

export interface CreatedBackup {
  manifest: BackupManifest;
  dumpFile: string;
  manifestFile: string;
  retention: AppliedRetention;
}

/**
 * Takes a pg_dump -Fc backup and writes its manifest. The dump runs on a snapshot exported from a
 * REPEATABLE READ transaction that also counts the rows, so the manifest describes exactly the data
 * in the dump even while the application keeps writing. Retention runs after success only.
 */
export async function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  const { loaded } = options;
  const config = requireBackupConfig(loaded);
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const target = resolveBackupTarget(loaded, config);
  const dir = backupDir(loaded);
  await mkdir(dir, { recursive: true });
  // Only the leaf is private: parents created here (the data dir) keep the usual mode, as the agent creates them.
  await chmod(dir, 0o700);
  const startedAt = performance.now();
  const created = now();
  const id = newBackupId(created);
  const finalFile = dumpPath(dir, id);
  const partialFile = `${finalFile}.partial`;

  const client = await connectPg(target);
  try {
    const server = await readServerVersion(client);
    const pgDump = await findPgTool('pg_dump', server.major, config.binDir);
    log(`backing up ${describePgTarget(target)} (PostgreSQL ${server.version}) with ${pgDump.path} ${pgDump.version}`);
    await client.query('begin isolation level repeatable read read only');
    await client.query(`set local lock_timeout = ${Math.round(config.lockWaitTimeoutMs)}`);
    const snapshotId = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0].id;
    const dump = runDump(config, pgDump.path, target, partialFile, snapshotId, options.signal);
    const counted = readDatabaseSnapshot(client, { exactCountMaxBytes: config.exactCountMaxBytes, inTransaction: true });
    const [dumpResult, snapshot] = await Promise.allSettled([dump, counted]);
    await client.query('rollback').catch(() => {});
    if (dumpResult.status === 'rejected' || snapshot.status === 'rejected') {
      await rm(partialFile, { force: true });
      if (dumpResult.status === 'rejected') throw dumpResult.reason;
      throw new CutoverError(
        'CUT_ERR_BACKUP_DUMP_FAILED',
        `counting rows for the manifest failed: ${(snapshot as PromiseRejectedResult).reason}`,
        {
          where: describePgTarget(target),
          hint: 'a long lock (DDL) may block reads; retry, or raise backup.lockWaitTimeoutMs',
        },
      );
    }
    await rename(partialFile, finalFile);
    const { sha256, sizeBytes } = await sha256File(finalFile);
    const exactLimit = config.exactCountMaxBytes;
    const manifest: BackupManifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      id,
      service: loaded.config.service,
      created: created.toISOString(),
      file: basename(finalFile),
      sha256,
      sizeBytes,
      durationMs: Math.round(performance.now() - startedAt),
      database: { name: target.database, host: target.host, port: target.port, user: target.user },
      serverVersion: server.version,
      pgDumpVersion: pgDump.version,
      migrationVersion: snapshot.value.migrationVersion,
      countMethod: `exact count(*) in the dump's snapshot for tables up to ${exactLimit} bytes; pg_class.reltuples estimate (rowsExact: false) above`,
      tables: snapshot.value.tables,
      sequences: snapshot.value.sequences,
      ...(options.deploymentId === undefined ? {} : { deploymentId: options.deploymentId }),
      ...(options.release === undefined ? {} : { release: options.release }),
      verified: null,
      verification: null,
    };
    await writeManifest(dir, manifest);
    log(`backup ${id}: ${sizeBytes} bytes, ${manifest.tables.length} tables, in ${manifest.durationMs}ms`);
    const retention = await applyRetention(dir, {
      keepCount: config.keepCount,
      keepMaxAgeMs: config.keepMaxAgeMs,
      now: now(),
      protect: [id],
    });
    if (retention.delete.length > 0) log(`retention deleted ${retention.delete.map((d) => d.id).join(', ')}`);
    return { manifest, dumpFile: finalFile, manifestFile: manifestPath(dir, id), retention };
  } catch (error) {
    await rm(partialFile, { force: true });
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

async function runDump(
  config: BackupConfig,
  pgDumpPath: string,
  target: Parameters<typeof buildPgEnv>[0],
  file: string,
  snapshot: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const args = buildPgDumpArgs({
    target,
    file,
    lockWaitTimeoutMs: config.lockWaitTimeoutMs,
    snapshot,
    compressLevel: config.compressLevel,
  });
  const result = await runProcess(pgDumpPath, args, {
    env: { ...process.env, ...buildPgEnv(target) },
    timeoutMs: config.timeoutMs,
    signal,
  });
  if (result.exitCode !== 0) {
    const lockWait = /lock/i.test(result.stderr);
    throw new CutoverError('CUT_ERR_BACKUP_DUMP_FAILED', `pg_dump ${describeExit(result, config.timeoutMs)}`, {
      where: describePgTarget(target),
      hint: lockWait
        ? 'another session holds a lock on a table (often DDL); retry when it is done or raise backup.lockWaitTimeoutMs'
        : 'read the pg_dump error above; check permissions (the user must be able to read every table)',
      details: { stderr: result.stderr.slice(-4000), exitCode: result.exitCode, timedOut: result.timedOut },
    });
  }
}
