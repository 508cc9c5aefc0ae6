import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The monorepo's root, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The cutover CLI, run as a user would (never imported: services stay independent of cutover's code). */
export const CUTOVER_CLI = `${REPO_ROOT}packages/cutover/bin/cutover.js`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command printed its whole --json result but did not exit within the grace period, and was killed. */
  lingered: boolean;
}

/** How long a --json command may stay alive after printing its complete result. */
export const JSON_EXIT_GRACE_MS = 10_000;

function isCompleteJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.endsWith('}')) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** PATH with the repository's node_modules/.bin first: `node` there is Node 24, which the service commands need. */
export function pathWithRepoBin(): string {
  return `${REPO_ROOT}node_modules/.bin:${process.env.PATH ?? ''}`;
}

/**
 * Runs `cutover <args>` and collects its output; killed after `timeoutMs` (default 120 s). A `--json`
 * command that has printed a complete result gets JSON_EXIT_GRACE_MS more to exit, then is killed
 * with `lingered: true` (so a process that keeps its event loop alive after finishing its work
 * cannot hold a test for the whole timeout; the caller decides whether lingering is acceptable).
 */
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
  let lingered = false;
  let graceTimer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (graceTimer === undefined && args.includes('--json') && isCompleteJson(stdout)) {
      graceTimer = setTimeout(() => {
        lingered = true;
        child.kill('SIGKILL');
      }, JSON_EXIT_GRACE_MS);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      resolve({ code, stdout, stderr, lingered });
    });
  });
}
