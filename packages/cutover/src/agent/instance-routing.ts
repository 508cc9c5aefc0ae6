import { readFileSync } from 'node:fs';
import { CutoverError } from '../errors/cutover-error.ts';
import type { AgentStateStore } from './agent-state-store.ts';
import type { DataPlane } from './data-plane.ts';
import type { DrainReport } from './proxy/proxy-types.ts';
import { isSameProcess, type ProcessIdentity, processStartTicks } from './supervisor/process-identity.ts';
import type { InstanceInfo, InstanceSpec, ProcessSupervisor } from './supervisor/process-supervisor.ts';

export interface StopReport {
  drain: DrainReport | null;
  stop: { exitCode: number | null; signal: string | null; killed: boolean; ms: number } | null;
}

/**
 * Ties the supervisor to the proxy: an instance marked routed joins its service's pool the moment
 * its health check passes (the supervisor's state event), leaves selection the moment it turns
 * unhealthy or exits, and is drained before it is stopped. Nothing else adds targets to the proxy,
 * so nothing is ever routed to an instance that has not passed its health check.
 */
export class InstanceRouting {
  private readonly routed = new Map<string, string>();
  private readonly inPool = new Set<string>();
  /** Instances stopped on request: gone from listings (the supervisor keeps their final state a while). */
  private readonly removed = new Set<string>();
  /** When each instance turned healthy and when it entered the pool: the switch latency. */
  readonly joinedPoolMs = new Map<string, number>();

  private readonly supervisor: ProcessSupervisor;
  private readonly proxy: DataPlane;
  private readonly store: AgentStateStore;

  constructor(supervisor: ProcessSupervisor, proxy: DataPlane, store: AgentStateStore) {
    this.supervisor = supervisor;
    this.proxy = proxy;
    this.store = store;
    supervisor.on('instance:state', (info: InstanceInfo, previous) => {
      // A respawn (restart after a crash) runs under a new pid: the record follows it, or a restarted agent would not find it.
      if (info.state === 'starting' && previous === 'restarting' && info.pid !== null) this.recordProcess(info);
      this.onState(info);
    });
    supervisor.on('instance:exit', (info: InstanceInfo) => this.onUnavailable(info));
  }

  /** With `rollout`, a crash, an exit or a lost health check fails the instance at once (see ManagedInstance), until settle(). */
  async startInstance(spec: InstanceSpec, options: { route: boolean; rollout?: boolean }): Promise<InstanceInfo> {
    if (options.route) this.routed.set(spec.id, spec.service);
    const info = await this.supervisor.start(spec, { inRollout: options.rollout });
    this.store.saveInstance({ spec, port: info.port, pid: info.pid, pidStartTicks: startTicksOf(info.pid), routed: options.route });
    this.onState(this.supervisor.get(spec.id) ?? info);
    return this.supervisor.get(spec.id) ?? info;
  }

  /** Marks an instance routed: it joins the pool now if healthy, or as soon as it becomes healthy. */
  route(id: string): InstanceInfo {
    const info = this.require(id);
    this.routed.set(id, info.spec.service);
    this.store.setRouted(id, true);
    this.onState(info);
    return this.supervisor.get(id) ?? info;
  }

  /** The instances the agent answers for: running ones, and failed ones until they are stopped. */
  live(): InstanceInfo[] {
    const listed = this.supervisor.list();
    // The supervisor forgets old finished instances; so does this set, or a long-lived agent would grow it forever.
    const ids = new Set(listed.map((info) => info.spec.id));
    for (const id of this.removed) if (!ids.has(id)) this.removed.delete(id);
    return listed.filter((info) => !this.removed.has(info.spec.id));
  }

  isInPool(id: string): boolean {
    return this.inPool.has(id);
  }

  /** Takes an instance out of selection and waits for its in-flight requests (the drain). */
  async unroute(id: string): Promise<DrainReport | null> {
    this.routed.delete(id);
    this.store.setRouted(id, false);
    if (!this.inPool.delete(id)) return null;
    const info = this.supervisor.get(id);
    return this.proxy.removeTarget(info?.spec.service ?? '', id);
  }

  /**
   * Drains, then stops the process, then forgets the instance. The app gets its SIGTERM once its
   * HTTP requests are done but while its WebSockets are still connected, so that it can close them
   * itself (1001); those still open when the route's websocketGraceMs ends are closed by the proxy
   * with a close frame (1012).
   */
  async stopInstance(id: string, options: { timeoutMs?: number } = {}): Promise<StopReport> {
    const info = this.require(id);
    const draining = this.unroute(id);
    await this.proxy.requestsDrained(info.spec.service, id);
    const stop = await this.supervisor.stop(id, options);
    const drain = await draining;
    this.store.deleteInstance(id);
    this.removed.add(id);
    this.joinedPoolMs.delete(id);
    return { drain, stop };
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.live().map((info) => this.stopInstance(info.spec.id).catch(() => undefined)));
  }

  /** Re-creates routes and instances after an agent restart: adopts live processes, restarts the rest. */
  async restore(): Promise<void> {
    for (const route of this.store.routes()) {
      await this.proxy.setRoute(route.spec);
      if (route.weights) this.proxy.setReleaseWeights(route.spec.service, route.weights);
    }
    for (const stored of this.store.instances()) {
      if (stored.routed) this.routed.set(stored.spec.id, stored.spec.service);
      if (stored.pid !== null && isSameInstance({ pid: stored.pid, startTicks: stored.pidStartTicks }, stored.spec.id)) {
        this.supervisor.adopt(stored.spec, stored.pid, stored.port);
      } else {
        this.recordProcess(await this.supervisor.start(stored.spec));
      }
    }
  }

  private recordProcess(info: InstanceInfo): void {
    this.store.setProcess(info.spec.id, info.pid, startTicksOf(info.pid), info.port);
  }

  private onState(info: InstanceInfo): void {
    const id = info.spec.id;
    if (!this.routed.has(id)) return;
    if (info.state === 'healthy' && info.port !== null) {
      if (this.inPool.has(id)) {
        this.proxy.setTargetHealthy(info.spec.service, id, true);
      } else {
        this.proxy.addTarget(info.spec.service, { id, release: info.spec.release, host: '127.0.0.1', port: info.port });
        this.inPool.add(id);
        this.joinedPoolMs.set(id, Date.now() - (info.healthyAt ?? Date.now()));
      }
      return;
    }
    this.onUnavailable(info);
  }

  private onUnavailable(info: InstanceInfo): void {
    if (this.inPool.has(info.spec.id)) this.proxy.setTargetHealthy(info.spec.service, info.spec.id, false);
    // A failed instance never serves again: it leaves the pool for good (the drain cancels nothing it still answers).
    if (info.state === 'failed' && this.routed.has(info.spec.id)) void this.unroute(info.spec.id).catch(() => undefined);
  }

  private require(id: string): InstanceInfo {
    const info = this.supervisor.get(id);
    if (!info) {
      throw new CutoverError('CUT_ERR_AGENT_INSTANCE_NOT_FOUND', `no instance ${id} on this agent`, {
        hint: 'run "cutover status" to list the instances',
      });
    }
    return info;
  }
}

/** True when the recorded process still runs (same pid, same start time) and is the instance we started (its environment names the id). */
function isSameInstance(recorded: ProcessIdentity, id: string): boolean {
  if (!isSameProcess(recorded)) return false;
  try {
    return readFileSync(`/proc/${recorded.pid}/environ`, 'utf8').split('\0').includes(`CUTOVER_INSTANCE_ID=${id}`);
  } catch {
    return false;
  }
}

function startTicksOf(pid: number | null): number | null {
  return pid === null ? null : processStartTicks(pid);
}
