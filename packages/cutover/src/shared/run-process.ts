import { spawn } from 'node:child_process';

/** A command as cutover.yml gives it: a string run by `sh -c`, or an argv array run as is. */
export type CommandLine = string | readonly string[];

export interface RunProcessOptions {
  cwd?: string;
  /** Full environment of the child (default: this process's env). */
  env?: NodeJS.ProcessEnv;
  /** SIGTERM the whole process group after this long, SIGKILL it `killGraceMs` later. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output kept per stream and combined; the tail is kept, since errors come last (default 64 KiB). */
  maxOutputBytes?: number;
  /** Text written to stdin, which is then closed. */
  input?: string;
  /** Sees every chunk as it arrives (progress lines, live `cutover run` output). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Between SIGTERM and SIGKILL of the group on a timeout or abort (default 2 s). */
  killGraceMs?: number;
  /** SIGKILL whatever the child left running in its group once it exits (health probes: default false). */
  reapGroupOnExit?: boolean;
}

export interface ProcessResult {
  /** null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived (the tail), for records. */
  output: string;
  /** All the bytes the child wrote to stdout, kept or not (a reader with a size limit checks it). */
  stdoutBytes: number;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** How long output is still read after the child exits: a daemon it forked may hold the pipes open for ever. */
const STDIO_DRAIN_MS = 500;

/** The program and arguments of a command line: a string goes through `/bin/sh -c`. */
export function commandArgv(command: CommandLine): { file: string; args: string[] } {
  if (typeof command === 'string') return { file: '/bin/sh', args: ['-c', command] };
  if (command.length === 0) throw new Error('an argv command needs at least the program');
  return { file: command[0], args: command.slice(1) };
}

/** Runs a command line (see `commandArgv`) with `runProcess`. */
export function runCommand(command: CommandLine, options: RunProcessOptions): Promise<ProcessResult> {
  const { file, args } = commandArgv(command);
  return runProcess(file, args, options);
}

/**
 * Runs a program to completion and returns what happened as a value; never blocks the event loop.
 * The child leads its own process group, so a timeout or abort stops everything it spawned
 * (sh -c pipelines, grandchildren): SIGTERM to the group, SIGKILL after the grace. The result comes
 * once the child has exited, even when a grandchild still holds its output pipes.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  const startedAt = performance.now();
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  return new Promise((resolvePromise) => {
    let stdout = '';
    let stderr = '';
    let output = '';
    let stdoutBytes = 0;
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const keepTail = (buffer: string, text: string) => {
      const next = buffer + text;
      return next.length > maxBytes ? next.slice(next.length - maxBytes) : next;
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      const text = chunk.toString('utf8');
      stdout = keepTail(stdout, text);
      output = keepTail(output, text);
      options.onOutput?.(text, 'stdout');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr = keepTail(stderr, text);
      output = keepTail(output, text);
      options.onOutput?.(text, 'stderr');
    });
    if (options.input !== undefined) {
      child.stdin?.on('error', () => {}); // a child that exits without reading its input
      child.stdin?.end(options.input);
    }
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the whole group is gone
      }
    };
    const stop = () => {
      if (killTimer) return;
      killGroup('SIGTERM');
      // Not unref'd: a grandchild that ignores SIGTERM is still killed, even by a CLI about to exit.
      killTimer = setTimeout(() => killGroup('SIGKILL'), graceMs);
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
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolvePromise({
        exitCode: null,
        signal: null,
        stdout,
        stderr,
        output,
        stdoutBytes,
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - startedAt),
        ...result,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => finish({ spawnError: `${error.code ?? 'error'}: ${error.message}` }));
    child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
    child.on('exit', (exitCode, signal) => {
      if (options.reapGroupOnExit) killGroup('SIGKILL');
      setTimeout(() => finish({ exitCode, signal }), STDIO_DRAIN_MS).unref();
    });
  });
}

/** The last `lines` lines of a text, for records and messages. */
export function tailLines(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
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
