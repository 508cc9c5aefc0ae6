import { spawn } from 'node:child_process';
import { CUTOVER_CLI, REPO_ROOT } from './paths.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** PATH with the repository's node_modules/.bin first: `node` there is Node 24. */
export function pathWithRepoBin(): string {
  return `${REPO_ROOT}node_modules/.bin:${process.env.PATH ?? ''}`;
}

/** Runs `cutover <args>`; killed after `timeoutMs`. */
export function runCutover(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [CUTOVER_CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, PATH: pathWithRepoBin(), CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
