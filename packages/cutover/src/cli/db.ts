import { ensureAccessories } from '../accessories/ensure-accessories.ts';
import { stopAccessories } from '../accessories/stop-accessories.ts';
import { formatBytes } from '../checks/check-result.ts';
import { type LoadedConfig, loadConfig } from '../config/load-config.ts';
import { backupDir, listManifests } from '../database/backup/backup-manifest.ts';
import { buildRestoreCommand } from '../database/backup/backup-step.ts';
import { createBackup } from '../database/backup/create-backup.ts';
import { requireBackupConfig } from '../database/backup/resolve-backup-target.ts';
import { restoreBackup } from '../database/backup/restore-backup.ts';
import { verifyBackup } from '../database/backup/verify-backup.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Command } from './command.ts';
import { PITR_SUBCOMMANDS, runPitrSubcommand } from './db-pitr.ts';
import { formatMs, type Output, type Step } from './output.ts';
import { formatTable } from './table.ts';

const SUBCOMMANDS = ['backup', 'backups', 'verify', 'restore', ...PITR_SUBCOMMANDS, 'accessories'] as const;

export const dbCommand: Command = {
  name: 'db',
  summary: 'database backups (backup, verify, restore; base-backup, recover --to TIME) and accessories',
  usage:
    'cutover db <backup|backups|verify <id|latest>|restore <id>|base-backup|base-backups|recover --to TIME --data-dir DIR|accessories> [options]',
  description: [
    'Backups of the database named by the `backup` section of cutover.yml (see docs/backups.md).',
    '  backup         pg_dump -Fc now, write its manifest, apply retention (--verify: restore-test it too)',
    '  backups        list the backups of this service, newest first',
    '  verify <id>    restore into a scratch database and compare with the manifest (id or "latest")',
    '  restore <id>   restore into a fresh database and swap it in; refuses while apps are connected (--force ends them)',
    '  base-backup    pg_basebackup now (needs backup.pitr and WAL archiving), then retention of base backups and WAL',
    '  base-backups   list the base backups, newest first, with the earliest time each recovers to',
    '  recover        recover the cluster to --to TIME into a new --data-dir (base backup + archived WAL), verified',
    '  accessories    use the declared PostgreSQL/Redis of `accessories:`, or start private ones (--stop: stop them; docs/checks.md)',
  ].join('\n'),
  options: {
    force: { type: 'boolean', help: 'restore: terminate application connections instead of refusing' },
    verify: { type: 'boolean', help: 'backup: restore-test the new backup into a scratch database' },
    stop: { type: 'boolean', help: 'accessories: stop the private servers cutover started' },
    to: { type: 'string', help: 'recover: the instant to recover to, ISO 8601 with a zone (2026-05-12T14:30:00Z)' },
    'data-dir': { type: 'string', help: 'recover: the new data directory (must not exist or be empty)' },
    port: { type: 'string', help: 'recover: the port of the recovered cluster (socket only; default: a free one)' },
    'keep-running': { type: 'boolean', help: 'recover: leave the recovered cluster running (default: stop it once verified)' },
  },
  exitCodes: {
    1: 'a backup, verification, restore, base backup, recovery or accessory failed',
    4: 'the restore target is in use (--force ends those sessions)',
    5: 'no backup with that id',
  },
  async run({ args, options, out, cwd }) {
    const [sub, id] = args;
    if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', sub ? `unknown db subcommand "${sub}"` : 'db needs a subcommand', {
        hint: `use one of: ${SUBCOMMANDS.join(', ')} (cutover db --help)`,
      });
    }
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (sub === 'accessories') return accessories(loaded, Boolean(options.stop), out);
    requireBackupConfig(loaded);
    const pitrSub = PITR_SUBCOMMANDS.find((name) => name === sub);
    const dir = backupDir(loaded);
    // Progress lines on a log or pipe; a terminal shows the live step instead (lines would garble the spinner).
    const progress = (message: string) => {
      if (!out.tty) out.line(`  ${message}`);
    };
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      if (pitrSub) return await runPitrSubcommand(pitrSub, loaded, options, out, progress, controller.signal);
      if (sub === 'backups') {
        const manifests = await listManifests(dir);
        out.result({ directory: dir, backups: manifests });
        if (manifests.length === 0) out.line(`no backups of ${loaded.config.service} yet in ${dir}: "cutover db backup" takes one`);
        else
          out.line(
            formatTable(
              ['ID', 'CREATED', 'SIZE', 'TABLES', 'MIGRATION', 'VERIFIED', 'DEPLOYMENT'],
              manifests.map((m) => [
                m.id,
                m.created,
                formatBytes(m.sizeBytes),
                m.tables.length,
                m.migrationVersion,
                m.verified === null ? 'not yet' : m.verified ? 'yes' : 'FAILED',
                m.deploymentId,
              ]),
            ),
          );
        return 0;
      }
      if (sub === 'backup') {
        const step = out.step('backing up');
        const created = await failStepOnError(step, createBackup({ loaded, log: progress, signal: controller.signal }));
        const { manifest } = created;
        step.done(`${formatBytes(manifest.sizeBytes)} in ${formatMs(manifest.durationMs)}`);
        const restoreCommand = buildRestoreCommand(manifest.id, loaded.file, loaded.environment?.name);
        let verified: boolean | null = null;
        let problems: string[] = [];
        if (options.verify) {
          const vstep = out.step(`verifying ${manifest.id}`);
          const result = await verifyBackup({ loaded, id: manifest.id, log: progress, signal: controller.signal });
          verified = result.verified;
          problems = result.problems;
          if (result.verified) vstep.done(`restore took ${formatMs(result.restoreMs ?? 0)}`);
          else vstep.fail(result.problems.join('; '));
        }
        const backupResult = { backup: manifest, file: created.dumpFile, restoreCommand, retention: created.retention, verified, problems };
        if (verified === false) return out.failure(backupResult, verifyFailed(manifest.id, problems));
        out.result(backupResult);
        out.line(`backup ${manifest.id}: ${created.dumpFile}`);
        out.line(
          `  tables ${manifest.tables.length}, migration ${manifest.migrationVersion ?? 'none'}, sha256 ${manifest.sha256.slice(0, 16)}…`,
        );
        for (const deleted of created.retention.delete) out.line(`  retention deleted ${deleted.id} (${deleted.reason})`);
        out.line(`  restore with: ${restoreCommand}`);
        return 0;
      }
      if (!id) {
        throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `db ${sub} needs a backup id`, {
          hint: `run "cutover db backups" to list them, then "cutover db ${sub} <id>"`,
        });
      }
      if (sub === 'verify') {
        const target = id === 'latest' ? (await listManifests(dir))[0]?.id : id;
        if (target === undefined) {
          throw new CutoverError('CUT_ERR_BACKUP_NOT_FOUND', `no backups of ${loaded.config.service} in ${dir}`, {
            hint: 'take one with "cutover db backup"',
          });
        }
        const step = out.step(`verifying ${target}`);
        const result = await failStepOnError(step, verifyBackup({ loaded, id: target, log: progress, signal: controller.signal }));
        if (result.verified) step.done(`restore took ${formatMs(result.restoreMs ?? 0)}`);
        else step.fail('FAILED');
        const verifyResult = {
          id: result.id,
          verified: result.verified,
          problems: result.problems,
          durationMs: result.durationMs,
          restoreMs: result.restoreMs,
        };
        for (const problem of result.problems) out.line(`  ${problem}`);
        if (!result.verified) return out.failure(verifyResult, verifyFailed(result.id, result.problems));
        out.result(verifyResult);
        return 0;
      }
      const step = out.step(`restoring ${id}`);
      const result = await failStepOnError(
        step,
        restoreBackup({ loaded, id, force: Boolean(options.force), log: progress, signal: controller.signal }),
      );
      step.done(`in ${formatMs(result.durationMs)}`);
      out.result(result);
      if (out.tty) for (const action of result.actions) out.line(`  ${action}`);
      if (result.previousDatabase)
        out.line(`the previous data stays in ${result.previousDatabase}; drop it with: dropdb ${result.previousDatabase}`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

async function accessories(loaded: LoadedConfig, stop: boolean, out: Output): Promise<number> {
  if (stop) {
    const stopped = await stopAccessories(loaded);
    out.result({ accessories: stopped });
    for (const s of stopped) out.line(`${s.name}: ${s.stopped ? 'stopped' : 'no private server running'}`);
    return 0;
  }
  const step = out.step('checking accessories');
  const statuses = await failStepOnError(step, ensureAccessories(loaded, { log: (m) => (out.tty ? undefined : out.line(`  ${m}`)) }));
  step.done(`${statuses.length} ready`);
  out.result({ accessories: statuses });
  if (statuses.length === 0) out.line(`${loaded.file} declares no accessories`);
  else
    out.line(
      formatTable(
        ['NAME', 'KIND', 'URL', 'ENV', 'SERVER', 'STARTED NOW'],
        statuses.map((a) => [
          a.name,
          a.kind,
          a.url.replace(/:\/\/([^:@/]*):[^@/]+@/, '://$1:***@'),
          a.env,
          a.private ? 'private' : 'declared',
          a.started ? 'yes' : 'no',
        ]),
      ),
    );
  return 0;
}

/** Ends a live progress line with a cross before the error reaches the user. */
async function failStepOnError<T>(step: Step, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    step.fail();
    throw error;
  }
}

function verifyFailed(id: string, problems: readonly string[]): CutoverError {
  return new CutoverError('CUT_ERR_BACKUP_VERIFY_FAILED', `backup ${id} failed verification: ${problems.join('; ') || 'no detail'}`, {
    hint: `take a new backup ("cutover db backup --verify"); keep ${id} until one verifies`,
    details: { id, problems },
  });
}
