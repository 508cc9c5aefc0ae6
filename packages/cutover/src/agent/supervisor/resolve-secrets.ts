import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { signalProcessGroup } from '../../shared/process-group.ts';
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

function runSecretCommand(ref: { command: string; cwd: string; timeoutMs: number }, env: Record<string, string>): Promise<One> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const child = spawn('/bin/sh', ['-c', ref.command], { cwd: ref.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (result: One): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.pid !== undefined) signalProcessGroup(child.pid, 'SIGKILL');
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, failure: `"${ref.command}" timed out after ${ref.timeoutMs} ms` }), ref.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_SECRET_BYTES) finish({ ok: false, failure: `"${ref.command}" printed more than ${MAX_SECRET_BYTES} bytes` });
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_QUOTE_BYTES) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => finish({ ok: false, failure: `"${ref.command}" could not run: ${error.message}` }));
    child.on('close', (code, signal) => {
      if (code === 0) return finish({ ok: true, value: withoutFinalNewline(Buffer.concat(stdout).toString('utf8')) });
      const said = stderr.trim().slice(0, STDERR_QUOTE_BYTES).replace(/\s+/g, ' ');
      const how = code === null ? `was killed by ${signal}` : `exited with ${code}`;
      finish({ ok: false, failure: `"${ref.command}" ${how}${said ? `: ${said}` : ''}` });
    });
  });
}

function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
