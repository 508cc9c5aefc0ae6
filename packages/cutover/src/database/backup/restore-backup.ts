import type pg from 'pg';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { describeExit, runProcess } from '../../shared/run-process.ts';
import { backupDir, dumpPath, readManifest } from './backup-manifest.ts';
import { buildPgRestoreArgs } from './build-pg-restore-args.ts';
import { connectPg } from './connect-pg.ts';
import {
  type AppConnection,
  createEmptyDatabase,
  databaseExists,
  dropDatabase,
  freeDatabaseName,
  listAppConnections,
  terminateConnections,
} from './database-admin.ts';
import { findPgTool } from './find-pg-tool.ts';
import { buildPgEnv, describePgTarget, withDatabase } from './pg-target.ts';
import { readServerVersion } from './read-database-snapshot.ts';
import { requireBackupConfig, resolveBackupTarget } from './resolve-backup-target.ts';
import { checkIntegrity } from './verify-backup.ts';

export interface RestoreBackupOptions {
  loaded: LoadedConfig;
  id: string;
  /** Terminate application connections instead of refusing (default false). */
  force?: boolean;
  log?: (message: string) => void;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface RestoreBackupResult {
  id: string;
  database: string;
  /** The database as it was before the restore, kept under this name; null when there was none. */
  previousDatabase: string | null;
  terminatedConnections: number;
  restoreMs: number;
  durationMs: number;
  /** What was done, in order, one sentence each. */
  actions: string[];
}

/** How long the swap keeps terminating sessions that reconnect before giving up. */
export const SWAP_ATTEMPTS = 50;
const SWAP_RETRY_MS = 100;

/**
 * Restores a backup by building a fresh database and swapping names, so the live database stays
 * untouched until the restored copy is complete and is kept afterwards as `<db>_before_<stamp>`.
 * Refuses while applications are connected unless forced (then their sessions are terminated),
 * and refuses a dump whose sha256 differs from its manifest.
 */
export async function restoreBackup(options: RestoreBackupOptions): Promise<RestoreBackupResult> {
  const { loaded, id } = options;
  const log = options.log ?? (() => {});
  const actions: string[] = [];
  const act = (text: string) => {
    actions.push(text);
    log(text);
  };
  const config = requireBackupConfig(loaded);
  const dir = backupDir(loaded);
  const manifest = await readManifest(dir, id);
  const file = dumpPath(dir, id);
  const startedAt = performance.now();
  const target = resolveBackupTarget(loaded, config);
  const integrity = await checkIntegrity(file, manifest);
  if (integrity.length > 0) {
    throw new CutoverError('CUT_ERR_BACKUP_CHECKSUM_MISMATCH', `refusing to restore ${id}: ${integrity[0]}`, {
      where: file,
      hint: 'pick another backup ("cutover db backups"); this dump cannot be trusted',
    });
  }
  act(`checked sha256 of ${file}`);
  const maintenance = config.maintenanceDatabase === target.database ? 'template1' : config.maintenanceDatabase;
  const admin = await connectPg(withDatabase(target, maintenance));
  try {
    const exists = await databaseExists(admin, target.database);
    if (exists) refuseIfBusy(await listAppConnections(admin, target.database), target.database, options.force === true);
    const server = await readServerVersion(admin);
    const pgRestore = await findPgTool('pg_restore', server.major, config.binDir);
    const stamp = (options.now?.() ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14);
    const fresh = await freeDatabaseName(admin, target.database, `restoring_${stamp}`);
    await createEmptyDatabase(admin, fresh, exists ? target.database : undefined);
    act(`created empty database ${fresh}`);
    const freshTarget = withDatabase(target, fresh);
    const restore = await runProcess(pgRestore.path, buildPgRestoreArgs({ target: freshTarget, file, jobs: config.restoreJobs }), {
      env: { ...process.env, ...buildPgEnv(freshTarget) },
      timeoutMs: config.timeoutMs,
      signal: options.signal,
    });
    if (restore.exitCode !== 0) {
      await dropDatabase(admin, fresh);
      throw new CutoverError('CUT_ERR_BACKUP_RESTORE_FAILED', `pg_restore ${describeExit(restore, config.timeoutMs)}`, {
        where: describePgTarget(freshTarget),
        hint: `${target.database} was not touched; run "cutover db verify ${id}" to see whether this backup restores at all`,
        details: { stderr: restore.stderr.slice(-4000) },
      });
    }
    act(`restored ${id} into ${fresh} with pg_restore in ${restore.durationMs}ms`);
    const previous = exists ? await freeDatabaseName(admin, target.database, `before_${stamp}`) : null;
    let terminated = 0;
    if (previous !== null) {
      terminated = await swapOut(admin, target.database, previous, options.force === true, fresh);
      if (terminated > 0) act(`terminated ${terminated} application connection(s) to ${target.database}`);
      act(`renamed the previous ${target.database} to ${previous} (kept; drop it when satisfied)`);
    }
    await admin.query(`alter database ${admin.escapeIdentifier(fresh)} rename to ${admin.escapeIdentifier(target.database)}`);
    act(`renamed ${fresh} to ${target.database}: the restored data is live`);
    return {
      id,
      database: target.database,
      previousDatabase: previous,
      terminatedConnections: terminated,
      restoreMs: restore.durationMs,
      durationMs: Math.round(performance.now() - startedAt),
      actions,
    };
  } finally {
    await admin.end().catch(() => {});
  }
}

function refuseIfBusy(connections: AppConnection[], database: string, force: boolean): void {
  if (connections.length === 0 || force) return;
  const who = connections
    .slice(0, 5)
    .map((c) => `pid ${c.pid} (${c.application || 'no application_name'}, ${c.user ?? '?'}@${c.clientAddr ?? 'local socket'})`)
    .join(', ');
  throw new CutoverError('CUT_ERR_BACKUP_TARGET_BUSY', `${connections.length} application connection(s) are open on ${database}: ${who}`, {
    where: database,
    hint: 'stop the service first ("cutover down"), or pass --force to terminate those connections',
    details: { connections },
  });
}

/**
 * Moves the live database out of the way. Connections are blocked first so a connection pool cannot
 * slip back in between terminating its sessions and the rename. Returns how many sessions were ended.
 */
async function swapOut(admin: pg.Client, database: string, previous: string, force: boolean, fresh: string): Promise<number> {
  const live = admin.escapeIdentifier(database);
  await admin.query(`alter database ${live} allow_connections false`);
  let terminated = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      const open = await listAppConnections(admin, database);
      if (open.length > 0 && !force) refuseIfBusy(open, database, false);
      if (open.length > 0) terminated += await terminateConnections(admin, database);
      try {
        await admin.query(`alter database ${live} rename to ${admin.escapeIdentifier(previous)}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= SWAP_ATTEMPTS) throw error;
        await new Promise((r) => setTimeout(r, SWAP_RETRY_MS));
      }
    }
  } catch (error) {
    await admin.query(`alter database ${live} allow_connections true`).catch(() => {});
    await dropDatabase(admin, fresh).catch(() => {});
    if (error instanceof CutoverError) throw error;
    throw new CutoverError('CUT_ERR_BACKUP_RESTORE_FAILED', `could not move ${database} aside: ${(error as Error).message}`, {
      where: database,
      hint: 'the user needs to own the database and have CREATEDB; the live database was left as it was',
      cause: error,
    });
  }
  await admin.query(`alter database ${admin.escapeIdentifier(previous)} allow_connections true`);
  return terminated;
}
