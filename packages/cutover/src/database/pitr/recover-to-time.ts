import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import type { LoadedConfig } from '../../config/load-config.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import { runProcess, tailLines } from '../../shared/run-process.ts';
import { connectPg } from '../backup/connect-pg.ts';
import { findExecutable, listPgBinDirs, PG_LIB_DIR } from '../backup/find-pg-tool.ts';
import type { PgTarget } from '../backup/pg-target.ts';
import { readDatabaseSnapshot } from '../backup/read-database-snapshot.ts';
import { requireBackupConfig, resolveBackupTarget } from '../backup/resolve-backup-target.ts';
import { type BaseBackupManifest, baseBackupDir, chooseBaseBackup, listBaseBackups, requirePitrConfig } from './base-backup-manifest.ts';
import { buildRecoverySettings, parseTargetTime, type RecoveryOutcome, readRecoveryLog } from './recovery-settings.ts';

export interface RecoverOptions {
  loaded: LoadedConfig;
  /** ISO 8601 with a zone; passed to PostgreSQL as written (microseconds kept). */
  to: string;
  /** The new data directory (must not exist, or be empty). */
  dataDir: string;
  port: number;
  /** Leave the recovered cluster running (default: stop it once verified). */
  keepRunning: boolean;
  log?: (line: string) => void;
}

export interface RecoveredCluster {
  baseBackup: string;
  dataDir: string;
  port: number;
  targetTime: string;
  outcome: RecoveryOutcome;
  /** Tables of the service's database in the recovered cluster, with exact row counts. */
  tables: { name: string; rows: number }[];
  running: boolean;
  startCommand: string;
  durationMs: number;
}

const PRIVATE_DIR_MODE = 0o700;

/** As root, PostgreSQL's programs run as `osUser` (they refuse root); otherwise as this user. */
function asOsUser(osUser: string, file: string, args: string[]): { file: string; args: string[] } {
  if (process.getuid?.() !== 0) return { file, args };
  return { file: 'runuser', args: ['-u', osUser, '--', file, ...args] };
}

/** pg_ctl of exactly the cluster's major version (a server runs only data directories of its own major). */
function findPgCtl(major: number, binDir: string | undefined): string {
  const dirs =
    binDir !== undefined ? [binDir] : [join(PG_LIB_DIR, String(major), 'bin'), ...listPgBinDirs().filter((d) => !d.startsWith(PG_LIB_DIR))];
  const found = findExecutable('pg_ctl', dirs);
  if (found === undefined) {
    throw new CutoverError('CUT_ERR_BACKUP_TOOL_MISSING', `pg_ctl of PostgreSQL ${major} was not found (looked in ${dirs.join(', ')})`, {
      hint: `install the PostgreSQL ${major} server (Debian: apt-get install postgresql-${major}) or set backup.binDir`,
    });
  }
  return found;
}

/**
 * Recovers the service's cluster to a point in time into a new data directory: the newest base
 * backup consistent before the target, extracted, with restore_command reading the WAL archive,
 * recovery_target_time and recovery.signal; started with pg_ctl until recovery has promoted it,
 * then checked (the log must say where recovery stopped) and, unless keepRunning, stopped again.
 */
export async function recoverToTime(options: RecoverOptions): Promise<RecoveredCluster> {
  const { loaded } = options;
  const log = options.log ?? (() => {});
  const config = requireBackupConfig(loaded);
  const pitr = requirePitrConfig(loaded);
  const target = parseTargetTime(options.to);
  if (target === undefined) {
    throw new CutoverError('CUT_ERR_PITR_BAD_TIME', `--to "${options.to}" is not an ISO 8601 time with a zone`, {
      hint: 'give the instant with its zone, e.g. --to 2026-05-12T14:30:00Z or --to "2026-05-12 16:30:00.123456+02:00"',
    });
  }
  const dataDir = resolve(options.dataDir);
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new CutoverError('CUT_ERR_PITR_TARGET_EXISTS', `${dataDir} is not empty`, {
      hint: 'recovery writes a new cluster: name a new or empty directory with --data-dir',
    });
  }
  const dir = baseBackupDir(loaded, pitr);
  const all = await listBaseBackups(dir);
  const base = chooseBaseBackup(all, target);
  if (base === undefined) {
    const oldest = all[all.length - 1];
    throw new CutoverError(
      'CUT_ERR_PITR_NO_BASE_BACKUP',
      oldest
        ? `no base backup is older than ${target.toISOString()}: the oldest, ${oldest.id}, is consistent at ${oldest.consistentAt}`
        : `no base backups of ${loaded.config.service} in ${dir}`,
      { hint: oldest ? 'choose a later --to; older times are out of reach' : 'take one with "cutover db base-backup"' },
    );
  }
  const t0 = performance.now();
  log(`recovering from base backup ${base.id} (consistent at ${base.consistentAt}) to ${options.to}`);
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dataDir, PRIVATE_DIR_MODE);
  const running = { value: false };
  try {
    await extract(join(dir, base.id, 'base.tar.gz'), dataDir);
    await mkdir(join(dataDir, 'pg_wal'), { recursive: true });
    if (existsSync(join(dir, base.id, 'pg_wal.tar.gz'))) await extract(join(dir, base.id, 'pg_wal.tar.gz'), join(dataDir, 'pg_wal'));
    await prepareDataDir(dataDir, base, {
      archiveDir: pitr.archiveDir,
      targetTime: options.to,
      port: options.port,
      socketDir: dataDir,
    });
    if (process.getuid?.() === 0) await run('chown', ['-R', `${pitr.osUser}:`, dataDir], 60_000);
    const major = Number((await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).trim());
    const pgCtl = findPgCtl(major, config.binDir);
    const logFile = join(dataDir, 'recovery.log');
    const start = asOsUser(pitr.osUser, pgCtl, [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      String(Math.ceil(config.timeoutMs / 1000)),
      'start',
    ]);
    log(`replaying WAL from ${pitr.archiveDir} (log: ${logFile})`);
    const started = await runProcess(start.file, start.args, { timeoutMs: config.timeoutMs + 10_000 });
    const service = resolveBackupTarget(loaded, config);
    const socket = { host: dataDir, port: options.port, user: service.user, database: service.database };
    // pg_ctl -w returns once the server runs; with hot_standby off it accepts connections only when
    // recovery has ended and promoted it, so wait for that (or for the server to die).
    const client = started.exitCode === 0 ? await connectWhenPromoted(socket, dataDir, config.timeoutMs) : undefined;
    const recoveryLog = await readFile(logFile, 'utf8').catch(() => '');
    const outcome = readRecoveryLog(recoveryLog);
    if (client === undefined) {
      await stopCluster(pitr.osUser, pgCtl, dataDir).catch(() => undefined);
      const stillArchiving = /recovery ended before configured recovery target was reached/.test(recoveryLog);
      throw new CutoverError(
        'CUT_ERR_PITR_RECOVERY_FAILED',
        `recovery of ${dataDir} failed: ${outcome.fatal ?? tailLines(started.output, 3)}`,
        {
          where: logFile,
          hint: stillArchiving
            ? `the archive holds no WAL past ${options.to} yet: on the server run SELECT pg_switch_wal(), wait for the segment to reach ${pitr.archiveDir}, then recover into an empty directory again`
            : `read ${logFile}; fix the cause, empty ${dataDir} and run the recovery again`,
          details: { logTail: tailLines(recoveryLog, 20) },
        },
      );
    }
    running.value = true;
    let tables: { name: string; rows: number }[];
    try {
      const inRecovery = (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r;
      if (inRecovery || outcome.stopLine === null) {
        throw new CutoverError(
          'CUT_ERR_PITR_RECOVERY_FAILED',
          `recovery of ${dataDir} did not stop at ${options.to}${inRecovery ? ' (the cluster is still recovering)' : ' (its log names no stopping point)'}`,
          { where: logFile, hint: `read ${logFile}`, details: { logTail: tailLines(recoveryLog, 20) } },
        );
      }
      const snapshot = await readDatabaseSnapshot(client, { exactCountMaxBytes: config.exactCountMaxBytes, inTransaction: false });
      tables = snapshot.tables.map((t) => ({ name: `${t.schema}.${t.name}`, rows: t.rows }));
    } finally {
      await client.end().catch(() => {});
    }
    log(`${outcome.stopLine}; ${tables.length} table(s) in ${service.database}`);
    if (!options.keepRunning) {
      await stopCluster(pitr.osUser, pgCtl, dataDir);
      running.value = false;
    }
    const startArgs = asOsUser(pitr.osUser, pgCtl, ['-D', dataDir, '-l', logFile, 'start']);
    return {
      baseBackup: base.id,
      dataDir,
      port: options.port,
      targetTime: options.to,
      outcome,
      tables,
      running: running.value,
      startCommand: [startArgs.file, ...startArgs.args].join(' '),
      durationMs: Math.round(performance.now() - t0),
    };
  } catch (error) {
    if (!running.value) log(`the partial cluster stays in ${dataDir} for inspection; delete it before trying again`);
    throw error;
  }
}

/** A client of the recovered cluster once it accepts connections, or undefined when its server stopped (failed recovery). */
async function connectWhenPromoted(socket: PgTarget, dataDir: string, timeoutMs: number): Promise<pg.Client | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectPg(socket);
    } catch (error) {
      if (!existsSync(join(dataDir, 'postmaster.pid'))) return undefined;
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function run(file: string, args: string[], timeoutMs: number): Promise<void> {
  const result = await runProcess(file, args, { timeoutMs });
  if (result.exitCode !== 0) {
    throw new CutoverError('CUT_ERR_PITR_RECOVERY_FAILED', `${file} ${args.join(' ')} failed: ${tailLines(result.output, 3)}`, {
      hint: 'check the permissions and free space of the new data directory',
    });
  }
}

async function extract(archive: string, into: string): Promise<void> {
  await run('tar', ['-xzf', archive, '-C', into], 3_600_000);
}

/**
 * Turns the extracted backup into a cluster that recovers: its own settings appended to
 * postgresql.auto.conf (a Debian cluster keeps postgresql.conf and pg_hba.conf in /etc, so minimal
 * ones are written when missing), recovery.signal, and nothing the source's server left behind.
 */
async function prepareDataDir(dataDir: string, base: BaseBackupManifest, settings: Parameters<typeof buildRecoverySettings>[0]) {
  for (const leftover of ['postmaster.pid', 'postmaster.opts', 'standby.signal']) await rm(join(dataDir, leftover), { force: true });
  if (!existsSync(join(dataDir, 'postgresql.conf'))) {
    await writeFile(join(dataDir, 'postgresql.conf'), `# recovered by cutover from base backup ${base.id}\n`, { mode: 0o600 });
  }
  if (!existsSync(join(dataDir, 'pg_hba.conf'))) {
    // Socket only, in the 0700 data directory: only the cluster's owner (and root) can reach it.
    await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\n', { mode: 0o600 });
  }
  await appendFile(join(dataDir, 'postgresql.auto.conf'), buildRecoverySettings(settings));
  await writeFile(join(dataDir, 'recovery.signal'), '', { mode: 0o600 });
}

async function stopCluster(osUser: string, pgCtl: string, dataDir: string): Promise<void> {
  const stop = asOsUser(osUser, pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '120', 'stop']);
  const result = await runProcess(stop.file, stop.args, { timeoutMs: 130_000 });
  if (result.exitCode !== 0 && !/Is server running\?/.test(result.output)) {
    throw new CutoverError('CUT_ERR_PITR_RECOVERY_FAILED', `pg_ctl stop of ${dataDir} failed: ${tailLines(result.output, 3)}`, {
      hint: `stop it by hand: pg_ctl -D ${dataDir} stop`,
    });
  }
}
