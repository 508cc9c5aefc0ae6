import { spawn } from 'node:child_process';

export interface RunProcessOptions {
  cwd?: string;
  /** Full environment of the child (default: this process's env). */
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output kept per stream; the tail is kept, since errors come last (default 64 KiB). */
  maxOutputBytes?: number;
  /** Text written to stdin, which is then closed. */
  input?: string;
}

export interface ProcessResult {
  /** null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
const KILL_GRACE_MS = 2_000;
const STDIO_DRAIN_MS = 500;

/**
 * Runs a program to completion and returns what happened as a value. The child gets its own
 * process group so a timeout or abort also stops whatever it spawned (sh -c pipelines).
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const startedAt = performance.now();
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolvePromise) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const keepTail = (buffer: string, chunk: Buffer) => {
      const next = buffer + chunk.toString('utf8');
      return next.length > maxBytes ? next.slice(next.length - maxBytes) : next;
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout = keepTail(stdout, chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = keepTail(stderr, chunk);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const finish = (result: Partial<ProcessResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolvePromise({
        exitCode: null,
        signal: null,
        stdout,
        stderr,
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - startedAt),
        ...result,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => finish({ spawnError: `${error.code ?? 'error'}: ${error.message}` }));
    child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
    // A daemon forked by the child can keep our pipes open forever: the exit is what counts.
    child.on('exit', (exitCode, signal) => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ exitCode, signal });
      }, STDIO_DRAIN_MS);
    });
  });
}

/** One line describing how a process ended, for messages. */
export function describeExit(result: ProcessResult, timeoutMs?: number): string {
  if (result.spawnError) return `could not start (${result.spawnError})`;
  if (result.timedOut) return `timed out after ${timeoutMs ?? result.durationMs}ms`;
  if (result.aborted) return 'aborted';
  if (result.signal) return `killed by ${result.signal}`;
  const lastLine = result.stderr.trim().split('\n').slice(-3).join(' | ');
  return `exited ${result.exitCode}${lastLine ? `: ${lastLine}` : ''}`;
}
