import { spawn } from 'node:child_process';
import { signalProcessGroup } from '../../shared/process-group.ts';
import type { ProbeResult } from './health-state-machine.ts';

/** How much of a failing check command's output is kept in the probe detail. */
export const COMMAND_PROBE_OUTPUT_BYTES = 300;

/** How long output is still collected after the check command exits. */
const EXIT_OUTPUT_GRACE_MS = 100;

export interface CommandProbeOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs a shell command with the instance's env; exit 0 is healthy. A command past timeoutMs is killed with its children. */
export function commandProbe(options: CommandProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let output = '';
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Also reaps anything the command left running in the background.
      if (child.pid !== undefined) signalProcessGroup(child.pid, 'SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      if (output.length < COMMAND_PROBE_OUTPUT_BYTES) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(
      () => finish({ ok: false, detail: `check command timed out after ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    const onAbort = (): void => finish({ ok: false, detail: 'probe cancelled' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => finish({ ok: false, detail: `check command could not run: ${error.message}` }));
    const report = (code: number | null, signal: NodeJS.Signals | null): void => {
      const said = output.trim().slice(0, COMMAND_PROBE_OUTPUT_BYTES).replace(/\s+/g, ' ');
      const how = code === null ? `killed by ${signal}` : `exit ${code}`;
      finish({ ok: code === 0, detail: said ? `check command ${how}: ${said}` : `check command ${how}` });
    };
    child.on('close', report);
    // A background process the command started can hold its stdout open; don't wait on it for long.
    child.on('exit', (code, signal) => setTimeout(() => report(code, signal), EXIT_OUTPUT_GRACE_MS).unref());
  });
}
