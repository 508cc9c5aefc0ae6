/**
 * Lifecycle of one supervised instance: its process, its health and its restarts.
 *
 * States and transitions (state changes happen only in #setState):
 *   starting   → healthy      the health check passed healthyThreshold times
 *   starting   → failed       the start deadline passed; the process is then stopped
 *   healthy    → unhealthy    the health check failed unhealthyThreshold times
 *   unhealthy  → healthy      the health check passed again
 *   starting | healthy | unhealthy → restarting   the process exited on its own; the policy allows another try
 *   starting | healthy | unhealthy → failed       it exited in a crash loop, or its command was not found
 *   restarting → starting     respawned after the backoff (health is gated again from scratch)
 *   restarting → failed       the respawn is impossible (working directory gone)
 *   any live state → stopping → stopped           stop(): SIGTERM to the group, SIGKILL after the timeout
 * `stopped` and `failed` are terminal. An unhealthy instance is reported, not restarted: the proxy
 * stops routing to it, and replacing it is the controller's call.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPidAlive, readProcessEnvVar, signalProcessGroup } from '../../shared/process-group.ts';
import { buildProbe } from '../health/build-probe.ts';
import { HealthMonitor } from '../health/health-monitor.ts';
import type { HealthTransition } from '../health/health-state-machine.ts';
import { resolveHealthCheck } from '../health/resolve-health-check.ts';
import { buildSpawnSpec } from './build-spawn-spec.ts';
import { appendSupervisorNote, closeInstanceLog, lastAppLogLine, openInstanceLog } from './instance-log.ts';
import type { InstanceInfo, InstanceSpec, InstanceState } from './instance-spec.ts';
import { type ProcessExit, type WatchedProcess, watchChild, watchPid } from './process-watch.ts';
import { resolveSecrets } from './resolve-secrets.ts';
import { planRestart } from './restart-policy.ts';

/** How long to wait for a process to disappear after SIGKILL before giving up on it. */
export const KILL_WAIT_MS = 5000;

export interface StopResult {
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
  ms: number;
}

/** What the supervisor hears from an instance; every call passes a snapshot. */
export interface InstanceHooks {
  state(info: InstanceInfo, previous: InstanceState): void;
  exit(info: InstanceInfo, code: number | null, signal: string | null): void;
  failed(info: InstanceInfo, reason: string): void;
  /** The instance no longer needs its port (stopped or failed, process gone). */
  portFreed(port: number): void;
}

export interface ManagedInstanceOptions {
  spec: InstanceSpec;
  port: number | null;
  logFile: string;
  pidPollIntervalMs: number;
  hooks: InstanceHooks;
  random?: () => number;
  /** Part of a rollout: fail at the first exit or lost health check instead of restarting (until settle()). */
  inRollout?: boolean;
}

const LIVE_STATES: ReadonlySet<InstanceState> = new Set(['starting', 'healthy', 'unhealthy']);

export class ManagedInstance {
  readonly #options: ManagedInstanceOptions;
  readonly #info: InstanceInfo;
  #process: WatchedProcess | null = null;
  #monitor: HealthMonitor | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #recentExitsMs: number[] = [];
  #exitWaiters: Array<(exit: ProcessExit) => void> = [];
  #stopping: Promise<StopResult> | null = null;
  #terminating: Promise<StopResult> | null = null;
  #detached = false;
  #inRollout: boolean;
  /** The values of the spec's secrets as read for the current process: memory only, never written. */
  #secretEnv: Record<string, string> = {};

  constructor(options: ManagedInstanceOptions) {
    this.#options = options;
    this.#inRollout = options.inRollout === true;
    this.#info = {
      spec: options.spec,
      port: options.port,
      pid: null,
      state: 'starting',
      restarts: 0,
      startedAt: Date.now(),
      healthyAt: null,
      lastExit: null,
      failure: null,
      logFile: options.logFile,
    };
  }

  get info(): InstanceInfo {
    const info = this.#info;
    return { ...info, lastExit: info.lastExit ? { ...info.lastExit } : null };
  }

  get terminal(): boolean {
    return this.#info.state === 'stopped' || this.#info.state === 'failed';
  }

  /** Spawns the process; resolves with a failure text when it could not be started (the instance is then failed). */
  async spawn(): Promise<string | null> {
    const { spec } = this.#options;
    if (!isDirectory(spec.cwd)) return this.#fail(`working directory does not exist: ${spec.cwd}`);
    const secrets = await resolveSecrets(spec.secrets, { ...(process.env as Record<string, string>), ...spec.env });
    if (!secrets.ok) return this.#fail(secrets.failure);
    // Stopped while a secret was read: spawn nothing.
    if (this.#stoppedMeanwhile()) return null;
    this.#secretEnv = secrets.env;
    const plan = buildSpawnSpec(spec, this.#info.port, secrets.env);
    let fd: number;
    try {
      fd = openInstanceLog(this.#info.logFile);
    } catch (error) {
      return this.#fail(`cannot open log file ${this.#info.logFile}: ${(error as Error).message}`);
    }
    let spawnError: Error | null = null;
    const child = (() => {
      try {
        return spawn(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, detached: true, stdio: ['ignore', fd, fd] });
      } catch (error) {
        spawnError = error as Error;
        return null;
      } finally {
        closeInstanceLog(fd);
      }
    })();
    if (child) child.on('error', (error) => (spawnError = error));
    if (child && child.pid === undefined) await new Promise((resolve) => setImmediate(resolve));
    if (!child || child.pid === undefined) return this.#fail(`could not spawn: ${(spawnError as Error | null)?.message ?? 'no pid'}`);
    if (this.#info.state === 'stopping' || this.terminal) return null;
    this.#info.pid = child.pid;
    this.#info.startedAt = Date.now();
    this.#info.healthyAt = null;
    appendSupervisorNote(this.#info.logFile, `started ${spec.id} as pid ${child.pid}${portNote(this.#info.port)}: ${spec.command}`);
    this.#process = watchChild(child, (exit) => this.#onExit(exit));
    this.#setState('starting');
    this.#startMonitor();
    return null;
  }

  #stoppedMeanwhile(): boolean {
    return this.#info.state === 'stopping' || this.terminal;
  }

  /** Watches a process that another supervisor spawned. One that is gone, or is not this instance, counts as an exit. */
  adopt(pid: number): void {
    const marker = readProcessEnvVar(pid, 'CUTOVER_INSTANCE_ID');
    this.#info.startedAt = Date.now();
    if (!isPidAlive(pid) || (marker !== undefined && marker !== this.#options.spec.id)) {
      appendSupervisorNote(this.#info.logFile, `pid ${pid} is not running ${this.#options.spec.id} any more; treating it as exited`);
      // Deferred so adopt() returns before the exit and restart events fire.
      setImmediate(() => this.#onExit({ code: null, signal: null }));
      return;
    }
    this.#info.pid = pid;
    appendSupervisorNote(this.#info.logFile, `adopted pid ${pid}${portNote(this.#info.port)}`);
    this.#process = watchPid(pid, this.#options.pidPollIntervalMs, (exit) => this.#onExit(exit));
    this.#startMonitor();
  }

  stop(timeoutMs: number): Promise<StopResult> {
    if (this.#stopping) return this.#stopping;
    const state = this.#info.state;
    if (state === 'stopped') return Promise.resolve(this.#lastExitResult());
    if (state === 'failed') return this.#terminating ?? Promise.resolve(this.#lastExitResult());
    this.#stopping = (async () => {
      this.#monitor?.stop();
      if (this.#restartTimer) clearTimeout(this.#restartTimer);
      this.#restartTimer = null;
      this.#setState('stopping');
      if (this.#info.pid !== null)
        appendSupervisorNote(this.#info.logFile, `stopping pid ${this.#info.pid} (SIGTERM, SIGKILL after ${timeoutMs} ms)`);
      const result = await this.#terminate(timeoutMs);
      this.#setState('stopped');
      this.#freePort();
      return result;
    })();
    return this.#stopping;
  }

  get inRollout(): boolean {
    return this.#inRollout;
  }

  /** The rollout that started the instance is over: from now on the restart policy applies. */
  settle(): void {
    this.#inRollout = false;
  }

  /** Stops probing and watching but leaves the process running (the agent is restarting). */
  detach(): void {
    this.#detached = true;
    this.#monitor?.stop();
    this.#monitor = null;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    this.#process?.detach();
    this.#process = null;
  }

  #startMonitor(): void {
    const { spec } = this.#options;
    const pid = this.#info.pid;
    if (pid === null) return;
    const check = resolveHealthCheck(spec.health, this.#info.port !== null);
    const target = {
      port: this.#info.port,
      pid,
      env: buildSpawnSpec(spec, this.#info.port, this.#secretEnv).env,
      cwd: spec.cwd,
      startedAtMs: this.#info.startedAt,
    };
    this.#monitor = new HealthMonitor({ timing: check, probe: buildProbe(check, target), onTransition: (t) => this.#onHealth(t) });
    this.#monitor.start();
  }

  #onHealth(transition: HealthTransition): void {
    if (!LIVE_STATES.has(this.#info.state) || this.#detached) return;
    if (transition.to === 'healthy') {
      this.#info.healthyAt ??= transition.atMs;
      this.#setState('healthy');
    } else if (transition.to === 'unhealthy' && this.#inRollout) {
      this.#failAndStop(`lost its health during its rollout: ${transition.reason}`);
    } else if (transition.to === 'unhealthy') {
      appendSupervisorNote(this.#info.logFile, `unhealthy: ${transition.reason}`);
      this.#setState('unhealthy');
    } else if (transition.to === 'failed') {
      this.#failAndStop(transition.reason);
    }
  }

  /** Failed for good while its process may still run: the process is stopped, then the port freed. */
  #failAndStop(reason: string): void {
    this.#fail(reason);
    this.#terminating = this.#terminate(this.#options.spec.stopTimeoutMs).then((result) => {
      this.#freePort();
      return result;
    });
  }

  #onExit(exit: ProcessExit): void {
    if (this.#detached) return;
    const pid = this.#info.pid;
    this.#monitor?.stop();
    this.#monitor = null;
    this.#process = null;
    // Children the app left behind would hold its port and outlive it.
    if (pid !== null) signalProcessGroup(pid, 'SIGKILL');
    this.#info.pid = null;
    this.#info.lastExit = { code: exit.code, signal: exit.signal, atMs: Date.now() };
    for (const resolve of this.#exitWaiters.splice(0)) resolve(exit);
    if (pid !== null) appendSupervisorNote(this.#info.logFile, `pid ${pid} exited (${describeExit(exit)})`);
    this.#options.hooks.exit(this.info, exit.code, exit.signal);
    if (!LIVE_STATES.has(this.#info.state)) return;
    this.#onUnexpectedExit(exit);
  }

  #onUnexpectedExit(exit: ProcessExit): void {
    const said = lastAppLogLine(this.#info.logFile);
    const last = `last exit: ${describeExit(exit)}${said ? `; last output: ${said}` : ''}`;
    if (this.#inRollout) {
      this.#fail(`exited with ${describeExit(exit)} during its rollout, not restarted${said ? ` (last output: ${said})` : ''}`);
      return;
    }
    if (this.#info.healthyAt === null && (exit.code === 127 || exit.code === 126)) {
      const what = exit.code === 127 ? 'command not found' : 'command not executable';
      this.#fail(`${what}: ${this.#options.spec.command} (${last})`);
      return;
    }
    const plan = planRestart(this.#options.spec.restart, this.#recentExitsMs, Date.now(), this.#options.random);
    this.#recentExitsMs = plan.recentExitsMs;
    if (plan.decision.action === 'fail') {
      // "exited and restarts are disabled" → "exited with code 3 and restarts are disabled": the code first.
      this.#fail(`${plan.decision.reason.replace(/^exited /, `exited with ${describeExit(exit)} `)} (${last})`);
      return;
    }
    const { delayMs, attempt } = plan.decision;
    appendSupervisorNote(
      this.#info.logFile,
      `restarting in ${delayMs} ms (attempt ${attempt} of ${this.#options.spec.restart.maxRestarts})`,
    );
    this.#setState('restarting');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.#info.restarts += 1;
      void this.spawn();
    }, delayMs);
  }

  /** SIGTERM to the group, SIGKILL after timeoutMs; resolves once the process is gone (or KILL_WAIT_MS after SIGKILL). */
  async #terminate(timeoutMs: number): Promise<StopResult> {
    const startedMs = Date.now();
    const pid = this.#info.pid;
    if (pid === null) return this.#lastExitResult();
    const exited = new Promise<ProcessExit>((resolve) => this.#exitWaiters.push(resolve));
    const within = (ms: number): Promise<ProcessExit | null> => Promise.race([exited, sleep(ms, null)]);
    signalInstance(pid, 'SIGTERM');
    let exit = await within(timeoutMs);
    let killed = false;
    if (!exit) {
      killed = true;
      appendSupervisorNote(this.#info.logFile, `pid ${pid} still running ${timeoutMs} ms after SIGTERM; sending SIGKILL`);
      signalInstance(pid, 'SIGKILL');
      exit = await within(KILL_WAIT_MS);
    }
    return { exitCode: exit?.code ?? null, signal: exit?.signal ?? null, killed, ms: Date.now() - startedMs };
  }

  #fail(reason: string): string {
    this.#info.failure = reason;
    appendSupervisorNote(this.#info.logFile, `failed: ${reason}`);
    this.#setState('failed');
    this.#options.hooks.failed(this.info, reason);
    if (this.#info.pid === null) this.#freePort();
    return reason;
  }

  #setState(next: InstanceState): void {
    const previous = this.#info.state;
    if (previous === next) return;
    this.#info.state = next;
    this.#options.hooks.state(this.info, previous);
  }

  #freePort(): void {
    if (this.#info.port !== null) this.#options.hooks.portFreed(this.#info.port);
  }

  #lastExitResult(): StopResult {
    return { exitCode: this.#info.lastExit?.code ?? null, signal: this.#info.lastExit?.signal ?? null, killed: false, ms: 0 };
  }
}

/** The group first; the bare pid only as a fallback while the process is known alive (it cannot have been reused). */
function signalInstance(pid: number, signal: NodeJS.Signals): void {
  if (signalProcessGroup(pid, signal) || !isPidAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Gone between the check and the signal: the exit watcher reports it.
  }
}

function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  return exit.code === null ? 'exit status unknown' : `code ${exit.code}`;
}

function portNote(port: number | null): string {
  return port === null ? '' : ` on port ${port}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
