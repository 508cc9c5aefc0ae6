import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';
import { CutoverError } from '../../errors/cutover-error.ts';
import { instanceLogPath } from './instance-log.ts';
import type { InstanceInfo, InstanceSpec, InstanceState } from './instance-spec.ts';
import { rotateLogIfLarger } from './log-rotation.ts';
import { ManagedInstance, type StopResult } from './managed-instance.ts';
import { PortAllocator } from './port-allocator.ts';
import { DEFAULT_KEEP_INSTANCE_LOGS, pruneInstanceLogs } from './prune-instance-logs.ts';

export type { InstanceExit, InstanceInfo, InstanceSpec, InstanceState } from './instance-spec.ts';
export type { StopResult } from './managed-instance.ts';

/** How often instance logs are checked against logMaxBytes (default 1 s). */
export const DEFAULT_LOG_CHECK_INTERVAL_MS = 1000;
/** How often an adopted (not our child) process is checked for life (default 250 ms). */
export const DEFAULT_PID_POLL_INTERVAL_MS = 250;
/** Stopped and failed instances kept for get()/list() before the oldest are forgotten (default 100). */
export const MAX_FINISHED_INSTANCES = 100;

export interface ProcessSupervisorOptions {
  /** Instance logs go to `<logDir>/<service>/<instanceId>.log`. */
  logDir: string;
  /** Private ports are allocated from this inclusive range. */
  portRange: [number, number];
  /** A log larger than this is rotated. */
  logMaxBytes: number;
  /** Rotated files kept per instance (`.1` … `.N`). */
  logKeepFiles: number;
  /** Default DEFAULT_LOG_CHECK_INTERVAL_MS. */
  logCheckIntervalMs?: number;
  /** Default DEFAULT_PID_POLL_INTERVAL_MS. */
  pidPollIntervalMs?: number;
  /** Logs of finished instances kept per service; older ones are deleted when an instance stops (default DEFAULT_KEEP_INSTANCE_LOGS). */
  keepInstanceLogs?: number;
}

export interface SupervisorEvents {
  /**
   * Fired the moment a state changes; `info` is a snapshot taken after the change. An instance is
   * created by start() or adopt() already `starting`, without an event.
   */
  'instance:state': [info: InstanceInfo, previous: InstanceState];
  /** Every exit of an instance process, planned or not: a planned one has state `stopping` (or `failed` after a start timeout). */
  'instance:exit': [info: InstanceInfo, code: number | null, signal: string | null];
  'instance:failed': [info: InstanceInfo, reason: string];
}

export type WaitHealthyResult = { healthy: true; ms: number } | { healthy: false; reason: string; state: InstanceState };

/**
 * Runs application instances as detached child processes on private ports, gates them on health
 * checks, restarts them per policy, stops them gracefully and captures their logs. One per agent.
 */
/** Stops remembered for ordering logs: far more than any keepInstanceLogs in practice. */
const FINISH_ORDER_LIMIT = 1000;

export class ProcessSupervisor extends EventEmitter<SupervisorEvents> {
  readonly #options: ProcessSupervisorOptions;
  readonly #ports: PortAllocator;
  readonly #instances = new Map<string, ManagedInstance>();
  readonly #logTimer: NodeJS.Timeout;
  #closed = false;
  /** Instance id → stop count when it was stopped, newest last; breaks ties of log file times when pruning. */
  readonly #finishOrder = new Map<string, number>();
  #stops = 0;

  constructor(options: ProcessSupervisorOptions) {
    super();
    this.#options = options;
    this.#ports = new PortAllocator(options.portRange);
    this.#logTimer = setInterval(() => this.#rotateLogs(), options.logCheckIntervalMs ?? DEFAULT_LOG_CHECK_INTERVAL_MS);
    this.#logTimer.unref();
  }

  /** Allocates a port, spawns the process and starts health probing; resolves once spawned (not once healthy). */
  async start(spec: InstanceSpec, options: { inRollout?: boolean } = {}): Promise<InstanceInfo> {
    this.#admit(spec);
    const port = spec.portEnv === null ? null : await this.#ports.allocate();
    const instance = this.#register(spec, port, options.inRollout === true);
    const failure = await instance.spawn();
    if (failure !== null) {
      throw new CutoverError('CUT_ERR_AGENT_SPAWN', `Instance ${spec.id} could not be started: ${failure}.`, {
        where: spec.cwd,
        hint: 'Check that the release directory exists and that the process command and cwd in cutover.yml point inside it.',
        details: { instanceId: spec.id, cwd: spec.cwd, command: spec.command },
      });
    }
    return instance.info;
  }

  /** Re-attaches to an instance that outlived the previous agent: probes it, watches its pid, restarts it per policy if it dies. */
  adopt(spec: InstanceSpec, pid: number, port: number | null): InstanceInfo {
    this.#admit(spec);
    if ((spec.portEnv === null) !== (port === null)) {
      throw new Error(`adopt(${spec.id}): port must be given exactly when spec.portEnv is set (portEnv ${spec.portEnv}, port ${port})`);
    }
    if (port !== null) this.#ports.hold(port);
    const instance = this.#register(spec, port);
    instance.adopt(pid);
    return instance.info;
  }

  /** Resolves when the instance is healthy, or early with the reason when it fails, exits or is stopped, or at timeoutMs. */
  waitHealthy(id: string, timeoutMs: number): Promise<WaitHealthyResult> {
    const current = this.#find(id).info;
    if (current.state === 'healthy') return Promise.resolve({ healthy: true, ms: msToHealthy(current) });
    const early = notHealthyReason(current);
    if (early) return Promise.resolve({ healthy: false, reason: early, state: current.state });
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: WaitHealthyResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.off('instance:state', onState);
        this.off('instance:exit', onExit);
        resolve(result);
      };
      const onState = (info: InstanceInfo): void => {
        if (info.spec.id !== id) return;
        const reason = notHealthyReason(info);
        if (info.state === 'healthy') done({ healthy: true, ms: msToHealthy(info) });
        else if (reason) done({ healthy: false, reason, state: info.state });
      };
      const onExit = (info: InstanceInfo, code: number | null, signal: string | null): void => {
        if (info.spec.id !== id) return;
        const how = signal ? `signal ${signal}` : code === null ? 'unknown status' : `code ${code}`;
        // The exit event precedes the resulting state change (restarting or failed); report that state and its failure text.
        queueMicrotask(() => {
          const after = this.#instances.get(id)?.info ?? info;
          const reason = after.state === 'failed' && after.failure ? after.failure : `process exited (${how}) before becoming healthy`;
          done({ healthy: false, reason, state: after.state });
        });
      };
      const timer = setTimeout(() => {
        const info = this.#find(id).info;
        done({ healthy: false, reason: `not healthy within ${timeoutMs} ms (state ${info.state})`, state: info.state });
      }, timeoutMs);
      this.on('instance:state', onState);
      this.on('instance:exit', onExit);
    });
  }

  /** SIGTERM to the process group, SIGKILL after timeoutMs (default spec.stopTimeoutMs); the instance is not restarted. */
  stop(id: string, options: { timeoutMs?: number } = {}): Promise<StopResult> {
    const instance = this.#find(id);
    return instance.stop(options.timeoutMs ?? instance.info.spec.stopTimeoutMs).then((result) => {
      this.#finishOrder.delete(id);
      this.#finishOrder.set(id, ++this.#stops);
      if (this.#finishOrder.size > FINISH_ORDER_LIMIT) this.#finishOrder.delete(this.#finishOrder.keys().next().value as string);
      this.#pruneLogs(instance.info.spec.service);
      return result;
    });
  }

  #pruneLogs(service: string): void {
    const live = new Set<string>();
    for (const [id, instance] of this.#instances) if (!instance.terminal) live.add(id);
    try {
      pruneInstanceLogs(
        dirname(instanceLogPath(this.#options.logDir, service, 'x')),
        live,
        this.#options.keepInstanceLogs ?? DEFAULT_KEEP_INSTANCE_LOGS,
        this.#finishOrder,
      );
    } catch {
      // A log that cannot be deleted now is deleted at a later stop.
    }
  }

  /** Ends the rollout phase of an instance started with inRollout: the restart policy applies again. */
  settle(id: string): void {
    this.#find(id).settle();
  }

  inRollout(id: string): boolean {
    return this.#instances.get(id)?.inRollout ?? false;
  }

  get(id: string): InstanceInfo | undefined {
    return this.#instances.get(id)?.info;
  }

  list(): InstanceInfo[] {
    return [...this.#instances.values()].map((instance) => instance.info);
  }

  /** stopInstances=false leaves the apps running for the next agent to adopt, and only stops probing and watching. */
  async shutdown(options: { stopInstances: boolean }): Promise<void> {
    this.#closed = true;
    clearInterval(this.#logTimer);
    const instances = [...this.#instances.values()];
    if (options.stopInstances) {
      await Promise.all(instances.map((instance) => instance.stop(instance.info.spec.stopTimeoutMs)));
    } else {
      for (const instance of instances) instance.detach();
    }
  }

  #admit(spec: InstanceSpec): void {
    if (this.#closed) {
      throw new CutoverError('CUT_ERR_AGENT_SUPERVISOR_CLOSED', `Cannot run instance ${spec.id}: the supervisor is shutting down.`, {
        hint: 'Start the agent again and retry.',
      });
    }
    const existing = this.#instances.get(spec.id);
    if (existing && !existing.terminal) {
      throw new CutoverError('CUT_ERR_AGENT_INSTANCE_EXISTS', `Instance ${spec.id} is already ${existing.info.state}.`, {
        where: spec.id,
        hint: 'Stop it first or use a new instance id.',
      });
    }
    const type = spec.health?.type;
    if (spec.portEnv === null && (type === 'http' || type === 'tcp')) {
      throw new CutoverError(
        'CUT_ERR_AGENT_HEALTH_NEEDS_PORT',
        `Process type ${spec.processType} has a ${type} health check but no port.`,
        {
          where: `processes.${spec.processType}.health`,
          hint: 'Set processes.<type>.portEnv (for example PORT) or use a command or process health check.',
        },
      );
    }
  }

  #register(spec: InstanceSpec, port: number | null, inRollout = false): ManagedInstance {
    const instance = new ManagedInstance({
      spec,
      port,
      inRollout,
      logFile: instanceLogPath(this.#options.logDir, spec.service, spec.id),
      pidPollIntervalMs: this.#options.pidPollIntervalMs ?? DEFAULT_PID_POLL_INTERVAL_MS,
      hooks: {
        state: (info, previous) => this.emit('instance:state', info, previous),
        exit: (info, code, signal) => this.emit('instance:exit', info, code, signal),
        failed: (info, reason) => this.emit('instance:failed', info, reason),
        portFreed: (freed) => this.#ports.release(freed),
      },
    });
    this.#instances.delete(spec.id);
    this.#instances.set(spec.id, instance);
    this.#forgetOldFinished();
    return instance;
  }

  #forgetOldFinished(): void {
    const finished = [...this.#instances.entries()].filter(([, instance]) => instance.terminal);
    for (const [id] of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_INSTANCES))) this.#instances.delete(id);
  }

  #find(id: string): ManagedInstance {
    const instance = this.#instances.get(id);
    if (!instance) {
      throw new CutoverError('CUT_ERR_AGENT_INSTANCE_NOT_FOUND', `No instance ${id} is supervised here.`, {
        where: id,
        hint: 'List instances with `cutover status`.',
      });
    }
    return instance;
  }

  #rotateLogs(): void {
    for (const instance of this.#instances.values()) {
      if (instance.terminal) continue;
      try {
        rotateLogIfLarger(instance.info.logFile, this.#options.logMaxBytes, this.#options.logKeepFiles);
      } catch {
        // A full or read-only disk must not stop supervision; the next tick retries.
      }
    }
  }
}

function msToHealthy(info: InstanceInfo): number {
  return (info.healthyAt ?? Date.now()) - info.startedAt;
}

function notHealthyReason(info: InstanceInfo): string | null {
  switch (info.state) {
    case 'failed':
      return info.failure ?? 'instance failed';
    case 'stopping':
    case 'stopped':
      return `instance was ${info.state} before becoming healthy`;
    default:
      return null;
  }
}
