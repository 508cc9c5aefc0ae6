import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * Restart delay of a controller that exited soon after it started (a crash loop): doubles from
 * here up to MAX_CONTROLLER_RESTART_DELAY_MS. A controller that ran CONTROLLER_STABLE_MS or more
 * (killed, or crashed while it worked) restarts at once: its running deployments resume without
 * waiting.
 */
export const CONTROLLER_RESTART_DELAY_MS = 200;
export const MAX_CONTROLLER_RESTART_DELAY_MS = 10_000;
/** A controller that ran this long restarts at once and resets the backoff. */
export const CONTROLLER_STABLE_MS = 10_000;
/** How long a stopping agent waits for its controller before killing it. */
export const CONTROLLER_STOP_TIMEOUT_MS = 5_000;

export interface ControllerSupervisorOptions {
  /** The command that runs the controller (e.g. node bin/cutover.js controller --data-dir X). */
  command: readonly string[];
  /** Its stdout and stderr go here (appended). */
  logFile: string;
  /** Default CONTROLLER_STABLE_MS. */
  stableMs?: number;
}

/**
 * Keeps the controller process running beside the agent: it starts it, restarts it with backoff
 * when it exits, and stops it with the agent. The controller is not an instance of any service
 * and never in a proxy pool: its crash changes nothing the proxy does. It gets an IPC channel so
 * that it notices when the agent is gone (and exits, to be started again by the next agent).
 */
export class ControllerSupervisor {
  readonly #options: ControllerSupervisorOptions;
  #child: ChildProcess | null = null;
  #timer: NodeJS.Timeout | undefined;
  #delayMs = CONTROLLER_RESTART_DELAY_MS;
  #stopping = false;
  #starts = 0;
  #lastExit: { code: number | null; signal: string | null; at: number } | null = null;
  #lastRestartDelayMs: number | null = null;

  constructor(options: ControllerSupervisorOptions) {
    this.#options = options;
  }

  start(): void {
    this.#stopping = false;
    this.#spawn();
  }

  status() {
    return { pid: this.#child?.pid ?? null, starts: this.#starts, lastExit: this.#lastExit, lastRestartDelayMs: this.#lastRestartDelayMs };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), CONTROLLER_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #spawn(): void {
    const [command, ...args] = this.#options.command;
    const log = openSync(this.#options.logFile, 'a', 0o600);
    const startedAt = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', log, log, 'ipc'] });
    closeSync(log);
    this.#starts++;
    this.#child = child;
    child.on('error', () => {
      // Reported through 'exit' (or never started): the restart below handles both.
    });
    child.once('exit', (code, signal) => {
      this.#lastExit = { code, signal, at: Date.now() };
      if (this.#child === child) this.#child = null;
      if (this.#stopping) return;
      const stable = Date.now() - startedAt >= (this.#options.stableMs ?? CONTROLLER_STABLE_MS);
      if (stable) this.#delayMs = CONTROLLER_RESTART_DELAY_MS;
      const delay = stable ? 0 : this.#delayMs;
      if (!stable) this.#delayMs = Math.min(this.#delayMs * 2, MAX_CONTROLLER_RESTART_DELAY_MS);
      this.#lastRestartDelayMs = delay;
      this.#timer = setTimeout(() => this.#spawn(), delay);
      this.#timer.unref();
    });
    child.unref();
    child.channel?.unref();
  }
}
