import { runCommand } from '../../shared/run-process.ts';
import type { ProbeResult } from './health-state-machine.ts';

/** How much of a failing check command's output is kept in the probe detail. */
export const COMMAND_PROBE_OUTPUT_BYTES = 300;

export interface CommandProbeOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs a shell command with the instance's env; exit 0 is healthy. A command past timeoutMs is killed with its children. */
export async function commandProbe(options: CommandProbeOptions): Promise<ProbeResult> {
  const result = await runCommand(options.command, {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxOutputBytes: COMMAND_PROBE_OUTPUT_BYTES,
    // A probe is over when it exits: anything it left in the background is reaped at once.
    reapGroupOnExit: true,
    killGraceMs: 0,
  });
  if (result.timedOut) return { ok: false, detail: `check command timed out after ${options.timeoutMs} ms` };
  if (result.aborted) return { ok: false, detail: 'probe cancelled' };
  if (result.spawnError) return { ok: false, detail: `check command could not run: ${result.spawnError}` };
  const said = result.output.trim().replace(/\s+/g, ' ');
  const how = result.exitCode === null ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
  return { ok: result.exitCode === 0, detail: said ? `check command ${how}: ${said}` : `check command ${how}` };
}
