import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CutoverError } from '../../errors/cutover-error.ts';
import { isPidAlive } from '../../shared/process-group.ts';
import { findOrphanMaster, removeMasterPid, stopOrphanMaster, writeMasterPid } from './haproxy-orphan.ts';
import { runtimeExchange } from './haproxy-runtime.ts';

/** How long HAProxy may take to start (or reload) before its runtime API answers with a new worker. */
export const HAPROXY_START_TIMEOUT_MS = 10_000;
const POLL_MS = 20;
const STDERR_TAIL_LINES = 20;

export interface HaproxyProcessOptions {
  binary: string;
  configFile: string;
  socketPath: string;
  /** Holds the master's pid while it runs, for the next agent when this one is killed. */
  pidFile: string;
  /** Every line HAProxy writes to stdout (its request log and notices). */
  onLine: (line: string) => void;
  /** HAProxy exited without being asked to. */
  onUnexpectedExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * One HAProxy in master-worker mode (`-W -db`), a child of the agent: started, reloaded (SIGUSR2 to
 * the master: a new worker takes over the listeners, the old one finishes its sessions) and stopped.
 */
export class HaproxyProcess {
  readonly #options: HaproxyProcessOptions;
  #child: ChildProcess | null = null;
  #stopping = false;
  readonly #oldWorkers = new Set<number>();
  readonly #stderr: string[] = [];

  constructor(options: HaproxyProcessOptions) {
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts HAProxy; one that a killed agent of this data directory left running is stopped first. */
  async start(): Promise<void> {
    const orphan = findOrphanMaster(this.#options.pidFile, this.#options.configFile);
    if (orphan !== null) {
      process.stderr.write(`haproxy data plane: stopping the HAProxy a previous agent left running (master ${orphan})\n`);
      await stopOrphanMaster(orphan);
    }
    rmSync(this.#options.socketPath, { force: true });
    this.#stopping = false;
    this.#stderr.length = 0;
    const child = spawn(this.#options.binary, ['-W', '-db', '-f', this.#options.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let exited: string | null = null;
    const spawnFailed = new Promise<void>((resolve) =>
      child.once('error', (error) => {
        exited = error.message;
        resolve();
      }),
    );
    // The request log: one line per request, so lines are cut from the chunks by hand (cheaper than readline).
    let rest = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      let text = rest === '' ? chunk : rest + chunk;
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        this.#options.onLine(text.slice(start, end));
        start = end + 1;
      }
      text = text.slice(start);
      rest = text;
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_TAIL_LINES) this.#stderr.shift();
      process.stderr.write(`haproxy: ${line}\n`);
    });
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      if (this.#child === child) this.#child = null;
      if (!this.#stopping) this.#options.onUnexpectedExit(code, signal);
    });
    void spawnFailed;
    const deadline = performance.now() + HAPROXY_START_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (exited !== null) break;
      if ((await this.workerPid()) !== null) {
        writeMasterPid(this.#options.pidFile, child.pid!);
        return;
      }
      await sleep(POLL_MS);
    }
    const tail = this.#stderr.join('\n');
    this.#stopping = true;
    child.kill('SIGKILL');
    const inUse = /cannot bind socket|Address already in use/i.test(tail);
    throw new CutoverError(
      inUse ? 'CUT_ERR_AGENT_PORT_IN_USE' : 'CUT_ERR_AGENT_HAPROXY_START',
      `HAProxy did not start (${exited ?? `its runtime API did not answer within ${HAPROXY_START_TIMEOUT_MS} ms`})${tail ? `:\n${tail}` : ''}`,
      {
        where: this.#options.configFile,
        hint: inUse
          ? 'another process holds the proxy port: find it with `ss -ltnp` and stop it, or set agent.httpPort to a free port'
          : `check the config HAProxy was given with \`${this.#options.binary} -c -f ${this.#options.configFile}\``,
        details: { stderr: tail },
      },
    );
  }

  /** The pid of the current worker, from `show info`; null when the runtime API does not answer. */
  async workerPid(): Promise<number | null> {
    try {
      const info = await runtimeExchange(this.#options.socketPath, ['show info']);
      const match = /^Pid: (\d+)$/m.exec(info);
      return match ? Number(match[1]) : null;
    } catch {
      return null;
    }
  }

  /** Checks the config file, then reloads it; resolves once a new worker answers on the runtime API. */
  async reload(): Promise<void> {
    const master = this.#child?.pid;
    if (master === undefined)
      throw new CutoverError('CUT_ERR_AGENT_HAPROXY_START', 'HAProxy is not running', { hint: 'see the agent log' });
    const check = await new Promise<{ ok: boolean; output: string }>((resolve) =>
      execFile(
        this.#options.binary,
        ['-c', '-q', '-f', this.#options.configFile],
        { timeout: HAPROXY_START_TIMEOUT_MS },
        (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
      ),
    );
    if (!check.ok) {
      throw new CutoverError('CUT_ERR_AGENT_HAPROXY_START', `HAProxy refused the new config:\n${check.output}`, {
        where: this.#options.configFile,
        hint: 'this is a bug of the config the agent renders: report it with the file; HAProxy keeps running with the previous one',
      });
    }
    const before = await this.workerPid();
    // Counted as replaced from the signal on: the new worker may answer the runtime API before this loop sees it.
    if (before !== null) this.#oldWorkers.add(before);
    process.kill(master, 'SIGUSR2');
    const deadline = performance.now() + HAPROXY_START_TIMEOUT_MS;
    while (performance.now() < deadline) {
      const pid = await this.workerPid();
      if (pid !== null && pid !== before) return;
      await sleep(POLL_MS);
    }
    if (before !== null) this.#oldWorkers.delete(before);
    throw new CutoverError('CUT_ERR_AGENT_HAPROXY_START', `HAProxy did not reload within ${HAPROXY_START_TIMEOUT_MS} ms`, {
      where: this.#options.configFile,
      hint: "see the agent log for HAProxy's own messages",
    });
  }

  /**
   * Workers a reload replaced that still run: they finish the sessions they had, which the runtime
   * API (answered by the current worker) does not count.
   */
  oldWorkers(): number[] {
    for (const pid of this.#oldWorkers) if (!isPidAlive(pid)) this.#oldWorkers.delete(pid);
    return [...this.#oldWorkers];
  }

  /** Soft stop (the workers finish their sessions), then SIGKILL past `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.#child;
    this.#stopping = true;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGUSR1');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    removeMasterPid(this.#options.pidFile);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
