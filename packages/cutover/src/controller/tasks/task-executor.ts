import { resolveSecrets } from '../../agent/supervisor/resolve-secrets.ts';
import type { LoadedConfig } from '../../config/load-config.ts';
import type { TaskConfig } from '../../config/schema-tasks.ts';
import { isCutoverError } from '../../errors/cutover-error.ts';
import { type CommandLine, describeExit, runCommand, tailLines } from '../../shared/run-process.ts';
import type { ServingRelease } from './serving-release.ts';
import type { ExecuteOptions, TaskExecution, TaskExecutor } from './task-execution.ts';

/** How many of a run's last output lines its record keeps. */
export const TASK_OUTPUT_TAIL_LINES = 50;

export interface TaskExecutorDeps {
  loaded: LoadedConfig;
  /** The release to run in, looked up at each start (so a deploy in between is seen). */
  servingRelease: (processType?: string) => ServingRelease | null | Promise<ServingRelease | null>;
}

/** Runs task attempts: commands in the serving release with its env, `kind: backup` through the backup module. */
export function createTaskExecutor(deps: TaskExecutorDeps): TaskExecutor {
  return async (name, task, options) => {
    if (task.kind === 'backup') return runBackupTask(deps.loaded, task, options);
    const serving = await deps.servingRelease(task.processType);
    if (!serving) return noRelease();
    return runInRelease(task.command as CommandLine, serving, {
      ...options,
      timeoutMs: task.timeoutMs,
      env: { CUTOVER_SERVICE: deps.loaded.config.service, CUTOVER_TASK: name },
    });
  };
}

/** Runs a command in a release's directory with its environment: tasks and `cutover run` alike. */
export async function runInRelease(
  command: CommandLine,
  serving: ServingRelease,
  options: ExecuteOptions & { timeoutMs: number; env?: Record<string, string> },
): Promise<TaskExecution> {
  const secrets = await resolveSecrets(serving.secrets, serving.env);
  if (!secrets.ok) {
    return {
      ok: false,
      exitCode: null,
      signal: null,
      timedOut: false,
      aborted: false,
      outputTail: '',
      release: serving.release,
      reason: secrets.failure,
    };
  }
  const result = await runCommand(command, {
    cwd: serving.cwd,
    env: { ...serving.env, ...secrets.env, CUTOVER_RELEASE: serving.release, CUTOVER_RELEASE_DIR: serving.dir, ...options.env },
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onOutput: options.onOutput,
  });
  const ok = result.exitCode === 0 && !result.timedOut && !result.aborted && !result.spawnError;
  return {
    ok,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    aborted: result.aborted,
    outputTail: tailLines(result.output, TASK_OUTPUT_TAIL_LINES),
    release: serving.release,
    reason: ok
      ? null
      : result.timedOut
        ? `timed out after ${options.timeoutMs} ms; its whole process group was killed`
        : describeExit(result, options.timeoutMs),
  };
}

function noRelease(): TaskExecution {
  return {
    ok: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    aborted: false,
    outputTail: '',
    release: null,
    reason: 'no release serves yet: deploy one first (cutover deploy <release>)',
  };
}

async function runBackupTask(loaded: LoadedConfig, task: TaskConfig, options: ExecuteOptions): Promise<TaskExecution> {
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    options.onOutput?.(`${line}\n`, 'stdout');
  };
  const timeout = AbortSignal.timeout(task.timeoutMs);
  const base = { signal: null, release: null } as const;
  try {
    const signal = AbortSignal.any([options.signal, timeout]);
    if (task.method === 'base') {
      // takeBaseBackup logs the backup, the retention and the WAL it pruned itself.
      const { takeBaseBackup } = await import('../../database/pitr/take-base-backup.ts');
      await takeBaseBackup({ loaded, log, signal });
    } else {
      const { createBackup } = await import('../../database/backup/create-backup.ts');
      const backup = await createBackup({ loaded, log, signal });
      log(`backup ${backup.manifest.id}: ${backup.manifest.sizeBytes} bytes in ${backup.manifest.durationMs} ms`);
      if (backup.retention.delete.length) log(`retention deleted ${backup.retention.delete.map((d) => d.id).join(', ')}`);
    }
    return {
      ...base,
      ok: true,
      exitCode: 0,
      timedOut: false,
      aborted: false,
      outputTail: lines.slice(-TASK_OUTPUT_TAIL_LINES).join('\n'),
      reason: null,
    };
  } catch (error) {
    if (!isCutoverError(error) && !options.signal.aborted && !timeout.aborted) throw error;
    const reason = timeout.aborted ? `timed out after ${task.timeoutMs} ms` : (error as Error).message;
    log(reason);
    return {
      ...base,
      ok: false,
      exitCode: null,
      timedOut: timeout.aborted,
      aborted: options.signal.aborted,
      outputTail: lines.slice(-TASK_OUTPUT_TAIL_LINES).join('\n'),
      reason,
    };
  }
}
