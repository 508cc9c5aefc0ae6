import { formatBytes } from '../checks/check-result.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { baseBackupDir, listBaseBackups, requirePitrConfig } from '../database/pitr/base-backup-manifest.ts';
import { recoverToTime } from '../database/pitr/recover-to-time.ts';
import { takeBaseBackup } from '../database/pitr/take-base-backup.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { findFreePort } from '../shared/free-port.ts';
import type { CommandContext } from './command.ts';
import { formatMs, type Output } from './output.ts';
import { formatTable } from './table.ts';

export const PITR_SUBCOMMANDS = ['base-backup', 'base-backups', 'recover'] as const;

/** `cutover db base-backup | base-backups | recover --to TIME --data-dir DIR` (docs/backups.md, point-in-time recovery). */
export async function runPitrSubcommand(
  sub: (typeof PITR_SUBCOMMANDS)[number],
  loaded: LoadedConfig,
  options: CommandContext['options'],
  out: Output,
  progress: (line: string) => void,
  signal: AbortSignal,
): Promise<number> {
  const pitr = requirePitrConfig(loaded);
  if (sub === 'base-backups') {
    const dir = baseBackupDir(loaded, pitr);
    const list = await listBaseBackups(dir);
    out.result({ directory: dir, archiveDir: pitr.archiveDir, baseBackups: list });
    if (list.length === 0) out.line(`no base backups of ${loaded.config.service} yet in ${dir}: "cutover db base-backup" takes one`);
    else
      out.line(
        formatTable(
          ['ID', 'RECOVERS FROM', 'SIZE', 'WAL FROM', 'SERVER'],
          list.map((b) => [b.id, b.consistentAt, formatBytes(b.sizeBytes), b.startWalFile, b.serverVersion]),
        ),
      );
    return 0;
  }
  if (sub === 'base-backup') {
    const step = out.step('taking a base backup');
    try {
      const taken = await takeBaseBackup({ loaded, log: progress, signal });
      step.done(`${formatBytes(taken.manifest.sizeBytes)} in ${formatMs(taken.manifest.durationMs)}`);
      out.result(taken);
      out.line(`base backup ${taken.manifest.id}: ${taken.directory}`);
      out.line(`  recovers to any time from ${taken.manifest.consistentAt} with the WAL in ${pitr.archiveDir}`);
      for (const gone of taken.deleted) out.line(`  retention deleted ${gone.id} (${gone.reason})`);
      if (taken.walDeleted > 0) out.line(`  deleted ${taken.walDeleted} archived WAL segment(s) no kept base backup needs`);
      return 0;
    } catch (error) {
      step.fail();
      throw error;
    }
  }
  const to = options.to as string | undefined;
  const dataDir = options['data-dir'] as string | undefined;
  if (!to || !dataDir) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `db recover needs ${!to ? '--to <time>' : '--data-dir <new directory>'}`, {
      hint: 'cutover db recover --to 2026-05-12T14:30:00Z --data-dir /var/lib/postgresql/15/recovered [--port 5499] [--keep-running]',
    });
  }
  const portText = options.port as string | undefined;
  const port = portText === undefined ? await findFreePort() : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `--port ${portText} is not a port number`, { hint: 'use 1-65535' });
  }
  const step = out.step(`recovering to ${to}`);
  try {
    const recovered = await recoverToTime({ loaded, to, dataDir, port, keepRunning: Boolean(options['keep-running']), log: progress });
    step.done(`in ${formatMs(recovered.durationMs)}`);
    out.result(recovered);
    out.line(`recovered ${recovered.dataDir} from base backup ${recovered.baseBackup}: ${recovered.outcome.stopLine}`);
    if (recovered.outcome.lastCompletedAt) out.line(`  last transaction applied: ${recovered.outcome.lastCompletedAt}`);
    for (const table of recovered.tables) out.line(`  ${table.name}: ${table.rows} row(s)`);
    out.line(
      recovered.running
        ? `  running on socket ${recovered.dataDir}, port ${recovered.port}: psql -h ${recovered.dataDir} -p ${recovered.port}`
        : `  stopped; start it with: ${recovered.startCommand}`,
    );
    return 0;
  } catch (error) {
    step.fail();
    throw error;
  }
}
