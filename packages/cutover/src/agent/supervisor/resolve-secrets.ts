import { readFile } from 'node:fs/promises';
import { runCommand } from '../../shared/run-process.ts';
import type { SecretRef } from './instance-spec.ts';

/** The largest value a secret's command may print; more is a failure, not a truncated secret. */
export const MAX_SECRET_BYTES = 64 * 1024;
/** How much of a failing secret command's stderr is quoted (never its stdout: that is the value). */
const STDERR_QUOTE_BYTES = 300;

/** The values of an instance's secrets, or why one could not be read (the instance then fails). */
export type ResolvedSecrets = { ok: true; env: Record<string, string> } | { ok: false; failure: string };

/**
 * Reads every secret of an instance when it is about to be spawned. The values live in the agent's
 * memory and the app's environment only: nothing here writes, logs or records one.
 */
export async function resolveSecrets(
  refs: Readonly<Record<string, SecretRef>> | undefined,
  env: Record<string, string>,
): Promise<ResolvedSecrets> {
  const resolved: Record<string, string> = {};
  for (const [name, ref] of Object.entries(refs ?? {})) {
    const result = 'file' in ref ? await readSecretFile(ref.file) : await runSecretCommand(ref, env);
    if (!result.ok) return { ok: false, failure: `secret ${name}: ${result.failure}` };
    resolved[name] = result.value;
  }
  return { ok: true, env: resolved };
}

type One = { ok: true; value: string } | { ok: false; failure: string };

async function readSecretFile(file: string): Promise<One> {
  try {
    return { ok: true, value: withoutFinalNewline(await readFile(file, 'utf8')) };
  } catch (error) {
    return { ok: false, failure: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
}

async function runSecretCommand(ref: { command: string; cwd: string; timeoutMs: number }, env: Record<string, string>): Promise<One> {
  const result = await runCommand(ref.command, {
    cwd: ref.cwd,
    env,
    timeoutMs: ref.timeoutMs,
    maxOutputBytes: MAX_SECRET_BYTES,
    // Whatever the command left running (a credential helper's agent) goes with it.
    reapGroupOnExit: true,
    killGraceMs: 0,
  });
  if (result.spawnError) return { ok: false, failure: `"${ref.command}" could not run: ${result.spawnError}` };
  if (result.timedOut) return { ok: false, failure: `"${ref.command}" timed out after ${ref.timeoutMs} ms` };
  if (result.stdoutBytes > MAX_SECRET_BYTES) return { ok: false, failure: `"${ref.command}" printed more than ${MAX_SECRET_BYTES} bytes` };
  if (result.exitCode === 0) return { ok: true, value: withoutFinalNewline(result.stdout) };
  // Only stderr is quoted: stdout is the value.
  const said = result.stderr.trim().slice(0, STDERR_QUOTE_BYTES).replace(/\s+/g, ' ');
  const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
  return { ok: false, failure: `"${ref.command}" ${how}${said ? `: ${said}` : ''}` };
}

function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
