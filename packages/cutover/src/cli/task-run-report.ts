import type { TaskRunRecord } from '../controller/tasks/task-run-store.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import type { Output } from './output.ts';
import { formatMs } from './output.ts';

/**
 * Prints how a task or one-off run ended and returns the exit code: 0 on success, the command's own
 * exit code when it exited non-zero, else that of CUT_ERR_TASK_FAILED. Under --json one document
 * holds the run and, for a failure, the error.
 */
export function reportRun(out: Output, run: TaskRunRecord, what: string, extra: Record<string, unknown> = {}): number {
  const took = run.endedAt !== null ? formatMs(run.endedAt - run.startedAt) : '?';
  if (run.state === 'succeeded') {
    out.result({ run, ...extra });
    out.line(`${what} succeeded in ${took} (run ${run.id}, release ${run.release})`);
    return 0;
  }
  const error = new CutoverError(
    'CUT_ERR_TASK_FAILED',
    `${what} ${run.state === 'skipped' ? 'was skipped' : run.state}: ${run.reason ?? 'see its output'}`,
    {
      hint: `"cutover tasks history" lists the recorded runs; run ${run.id} keeps the last lines of its output`,
      details: { runId: run.id, state: run.state, exitCode: run.exitCode, timedOut: run.timedOut },
    },
  );
  out.result({ run, ...extra, error: error.toJSON() });
  if (!out.json) out.error(error);
  return run.exitCode !== null && run.exitCode > 0 ? run.exitCode : error.exitCode;
}

/** Writes a child's output to ours as it comes (nothing under --json: the record keeps the tail). */
export function streamOutput(out: Output): ((text: string, stream: 'stdout' | 'stderr') => void) | undefined {
  if (out.json) return undefined;
  return (text, stream) => (stream === 'stderr' ? process.stderr : process.stdout).write(text);
}
