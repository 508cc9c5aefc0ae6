import { spawn } from 'node:child_process';
import type { StepResult } from '../pipeline/pipeline-step.ts';

export interface HookRun {
  command: string;
  exitCode: number | null;
  durationMs: number;
  /** The last lines the hook printed, for the record. */
  outputTail: string;
}

/** Runs hook commands in order with the deployment's facts in env; the first failure stops the list. */
export async function runHooks(
  commands: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; onLine?: (line: string) => void },
): Promise<StepResult> {
  if (commands.length === 0) return { outcome: 'skipped', values: { hooks: [] }, reason: 'no hooks configured' };
  const runs: HookRun[] = [];
  for (const command of commands) {
    const run = await runHook(command, options);
    runs.push(run);
    if (run.exitCode !== 0) {
      return { outcome: 'failed', values: { hooks: runs }, reason: `hook "${command}" exited with ${run.exitCode ?? 'a timeout'}` };
    }
  }
  return { outcome: 'ok', values: { hooks: runs } };
}

function runHook(
  command: string,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number; onLine?: (line: string) => void },
): Promise<HookRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.onLine?.(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        command,
        exitCode: code,
        durationMs: Math.round(performance.now() - started),
        outputTail: tail.split('\n').slice(-20).join('\n'),
      });
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ command, exitCode: 127, durationMs: Math.round(performance.now() - started), outputTail: tail });
    });
  });
}
