import type { StepResult } from '../pipeline/pipeline-step.ts';
import { runCommand, tailLines } from '../shared/run-process.ts';

/** How many of a hook's last output lines its record keeps. */
export const HOOK_OUTPUT_TAIL_LINES = 20;

export interface HookRun {
  command: string;
  /** null when the hook was killed (a timeout) or could not start. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last lines the hook printed, for the record. */
  outputTail: string;
}

export interface HookOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine?: (line: string) => void;
  /** Applied to every line and the tail before they leave the runner (a hook that prints a secret). */
  redact?: (text: string) => string;
}

/** Runs hook commands in order with the deployment's facts in env; the first failure stops the list. */
export async function runHooks(commands: readonly string[], options: HookOptions): Promise<StepResult> {
  if (commands.length === 0) return { outcome: 'skipped', values: { hooks: [] }, reason: 'no hooks configured' };
  const runs: HookRun[] = [];
  for (const command of commands) {
    const run = await runHook(command, options);
    runs.push(run);
    if (run.exitCode !== 0)
      return { outcome: 'failed', values: { hooks: runs }, reason: `hook "${command}" ${describeHookEnd(run, options.timeoutMs)}` };
  }
  return { outcome: 'ok', values: { hooks: runs } };
}

function describeHookEnd(run: HookRun, timeoutMs: number): string {
  if (run.timedOut) return `timed out after ${timeoutMs} ms (its process group was killed)`;
  if (run.signal) return `was killed by ${run.signal}`;
  return `exited with ${run.exitCode ?? 'no exit code'}`;
}

async function runHook(command: string, options: HookOptions): Promise<HookRun> {
  let partial = '';
  const redact = options.redact ?? ((text: string) => text);
  const result = await runCommand(command, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs,
    onOutput: (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine?.(redact(line));
    },
  });
  if (partial.trim()) options.onLine?.(redact(partial));
  return {
    command,
    exitCode: result.spawnError ? 127 : result.timedOut ? null : result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: result.durationMs,
    outputTail: redact(tailLines(result.output, HOOK_OUTPUT_TAIL_LINES)),
  };
}
