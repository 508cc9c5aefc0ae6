import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { describeExit, runProcess, tailLines } from '../../shared/run-process.ts';
import { connectPg } from '../backup/connect-pg.ts';
import { findPgTool } from '../backup/find-pg-tool.ts';
import { buildPgEnv, describePgTarget, withDatabase } from '../backup/pg-target.ts';
import { readServerVersion } from '../backup/read-database-snapshot.ts';
import { requireBackupConfig, resolveBackupTarget } from '../backup/resolve-backup-target.ts';
import {
  BASE_BACKUP_FORMAT_VERSION,
  type BaseBackupManifest,
  baseBackupDir,
  listBaseBackups,
  newBaseBackupId,
  requirePitrConfig,
  writeBaseBackupManifest,
} from './base-backup-manifest.ts';
import { planBaseBackupRetention } from './plan-base-backup-retention.ts';
import { pruneWalArchive } from './prune-wal-archive.ts';
import { walFileName } from './wal-file-name.ts';

export interface TakenBaseBackup {
  manifest: BaseBackupManifest;
  directory: string;
  /** Base backups retention deleted, with why. */
  deleted: { id: string; reason: string }[];
  /** WAL segments deleted from the archive: older than the oldest base backup kept. */
  walDeleted: number;
}

/**
 * Takes a base backup with pg_basebackup (tar, gzip, the WAL of the backup streamed alongside, so
 * the backup restores on its own), records where its WAL starts, then applies retention to base
 * backups and to the WAL archive. Refuses when the server does not archive WAL: without it a base
 * backup recovers to its own end only, which a logical dump does better.
 */
export async function takeBaseBackup(options: {
  loaded: LoadedConfig;
  log?: (line: string) => void;
  signal?: AbortSignal;
  now?: () => Date;
}): Promise<TakenBaseBackup> {
  const { loaded } = options;
  const log = options.log ?? (() => {});
  const config = requireBackupConfig(loaded);
  const pitr = requirePitrConfig(loaded);
  const target = resolveBackupTarget(loaded, config);
  const archive = await stat(pitr.archiveDir).catch(() => undefined);
  if (!archive?.isDirectory()) {
    throw new CutoverError('CUT_ERR_PITR_ARCHIVE_MISSING', `the WAL archive ${pitr.archiveDir} does not exist`, {
      where: `${loaded.file}: backup.pitr.archiveDir`,
      hint: "create it, writable by the server's account, and point the server's archive_command at it (docs/backups.md)",
    });
  }
  const client = await connectPg(withDatabase(target, config.maintenanceDatabase));
  let server: { version: string; major: number };
  let started: Date;
  let segmentBytes: number;
  try {
    server = await readServerVersion(client);
    const { rows } = await client.query<{ archive_mode: string; wal_level: string; seg: string; now: Date; failing: boolean }>(
      `SELECT current_setting('archive_mode') AS archive_mode, current_setting('wal_level') AS wal_level,
              (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS seg, now() AS now,
              coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) AS failing
         FROM pg_stat_archiver`,
    );
    const settings = rows[0];
    if (settings.archive_mode === 'off' || settings.wal_level === 'minimal') {
      throw new CutoverError(
        'CUT_ERR_PITR_ARCHIVING_OFF',
        `${describePgTarget(target)} does not archive WAL (archive_mode = ${settings.archive_mode}, wal_level = ${settings.wal_level})`,
        {
          where: describePgTarget(target),
          hint: `set wal_level = replica, archive_mode = on and archive_command = 'test ! -f ${pitr.archiveDir}/%f && cp %p ${pitr.archiveDir}/%f' on the server, then restart it`,
        },
      );
    }
    if (settings.failing)
      log(`warning: the server's last archive_command failed (pg_stat_archiver): WAL is not reaching ${pitr.archiveDir}`);
    started = settings.now;
    segmentBytes = Number(settings.seg);
  } finally {
    await client.end().catch(() => {});
  }
  const tool = await findPgTool('pg_basebackup', server.major, config.binDir);
  const dir = baseBackupDir(loaded, pitr);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const id = newBaseBackupId(options.now?.() ?? new Date());
  const partial = join(dir, `${id}.partial`);
  const finalDir = join(dir, id);
  log(`base backup of ${describePgTarget(target)} (PostgreSQL ${server.version}) with ${tool.path} ${tool.version}`);
  const t0 = performance.now();
  const args = ['-D', partial, '-Ft', '-z', '-X', 'stream', '-c', 'fast', '-l', `cutover ${id}`, '--no-password'];
  args.push('-h', target.host, '-p', String(target.port), '-U', target.user);
  const result = await runProcess(tool.path, args, {
    env: { ...process.env, ...buildPgEnv(target) },
    timeoutMs: config.timeoutMs,
    signal: options.signal,
  });
  if (result.exitCode !== 0) {
    await rm(partial, { recursive: true, force: true });
    throw new CutoverError('CUT_ERR_PITR_BASE_BACKUP_FAILED', `pg_basebackup ${describeExit(result)}: ${tailLines(result.stderr, 5)}`, {
      where: describePgTarget(target),
      hint: 'the user needs the REPLICATION attribute and pg_hba.conf a "replication" line for this host; max_wal_senders must leave one free',
    });
  }
  await rename(partial, finalDir);
  const serverManifest = JSON.parse(await readFile(join(finalDir, 'backup_manifest'), 'utf8')) as {
    'WAL-Ranges': { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[];
  };
  const range = serverManifest['WAL-Ranges'][0];
  const after = await connectPg(withDatabase(target, config.maintenanceDatabase));
  let consistentAt: Date;
  try {
    consistentAt = (await after.query<{ now: Date }>('SELECT now()')).rows[0].now;
  } finally {
    await after.end().catch(() => {});
  }
  let sizeBytes = 0;
  for (const file of await readdir(finalDir)) sizeBytes += (await stat(join(finalDir, file))).size;
  const manifest: BaseBackupManifest = {
    formatVersion: BASE_BACKUP_FORMAT_VERSION,
    id,
    service: loaded.config.service,
    started: started.toISOString(),
    consistentAt: consistentAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    sizeBytes,
    timeline: range.Timeline,
    startLsn: range['Start-LSN'],
    endLsn: range['End-LSN'],
    startWalFile: walFileName(range.Timeline, range['Start-LSN'], segmentBytes),
    walSegmentBytes: segmentBytes,
    database: { host: target.host, port: target.port, user: target.user },
    serverVersion: server.version,
    pgBaseBackupVersion: tool.version,
    archiveDir: pitr.archiveDir,
  };
  await writeBaseBackupManifest(dir, manifest);
  log(`base backup ${id}: ${sizeBytes} bytes, WAL from ${manifest.startWalFile}`);

  const all = await listBaseBackups(dir);
  const plan = planBaseBackupRetention(all, { keepCount: pitr.keepCount, keepMaxAgeMs: pitr.keepMaxAgeMs, now: consistentAt });
  for (const gone of plan.delete) {
    await rm(join(dir, gone.id), { recursive: true, force: true });
    await rm(join(dir, `${gone.id}.json`), { force: true });
    log(`retention deleted base backup ${gone.id} (${gone.reason})`);
  }
  const oldest = plan.keep[plan.keep.length - 1];
  const walDeleted = await pruneWalArchive(pitr.archiveDir, oldest.startWalFile);
  if (walDeleted > 0) log(`deleted ${walDeleted} WAL segment(s) older than ${oldest.startWalFile} (base backup ${oldest.id})`);
  return { manifest, directory: finalDir, deleted: plan.delete, walDeleted };
}
