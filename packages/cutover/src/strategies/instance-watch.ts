import type { AgentInstance } from '../platform/agent-client.ts';
import type { WorkloadBackend } from '../platform/workload-backend.ts';

/** How often new instances are checked for crashes and failed health checks during a rollout. */
export const DEFAULT_WATCH_INTERVAL_MS = 100;

/**
 * Watches the new instances of a rollout and remembers the first failure: a crash (any restart),
 * a failed start, an exit, or a failed health check after having been healthy. Every wait of a
 * strategy races against it, so a failure interrupts whatever the strategy was waiting for.
 */
export class InstanceWatch {
  private readonly ids = new Set<string>();
  private readonly everHealthy = new Set<string>();
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private failed: string | null = null;
  private stopped = false;
  private notify: ((reason: string) => void)[] = [];
  /** The latest instances seen, for the record. */
  latest: AgentInstance[] = [];

  private readonly backend: WorkloadBackend;
  private readonly service: string;
  private readonly intervalMs: number;

  constructor(backend: WorkloadBackend, service: string, intervalMs = DEFAULT_WATCH_INTERVAL_MS) {
    this.backend = backend;
    this.service = service;
    this.intervalMs = intervalMs;
  }

  get failure(): string | null {
    return this.failed;
  }

  add(id: string): void {
    this.ids.add(id);
  }

  remove(id: string): void {
    this.ids.delete(id);
  }

  start(): void {
    this.stopped = false;
    const tick = async () => {
      try {
        this.inspect(await this.backend.instances(this.service));
      } catch (error) {
        this.fail(`lost contact with the agent: ${(error as Error).message}`);
      }
      // A stop() while the listing was in flight must not be undone here: the timer would keep the process alive.
      if (this.failed === null && !this.stopped) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Checks one listing of instances: the pure part of the watch. */
  inspect(instances: AgentInstance[]): void {
    this.latest = instances;
    for (const id of this.ids) {
      const instance = instances.find((i) => i.spec.id === id);
      if (!instance) {
        // Watched from before its start request returned: absent until the agent has it. Gone after being seen is a failure.
        if (!this.seen.has(id)) continue;
        this.fail(`instance ${id} disappeared from the agent`);
        return;
      }
      this.seen.add(id);
      if (instance.state === 'healthy') this.everHealthy.add(id);
      const reason = failureOf(instance, this.everHealthy.has(id));
      if (reason) {
        this.fail(reason);
        return;
      }
    }
  }

  /** Resolves with the promise's value, or with { failed } as soon as the watch sees a failure. */
  race<T>(promise: Promise<T>): Promise<T | { failed: string }> {
    if (this.failed !== null) return Promise.resolve({ failed: this.failed });
    return Promise.race([promise, new Promise<{ failed: string }>((resolve) => this.notify.push((failed) => resolve({ failed })))]);
  }

  /** Waits ms, ending early with the failure if one happens. */
  async sleep(ms: number): Promise<string | null> {
    if (ms <= 0) return this.failed;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await this.race(new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms))));
    clearTimeout(timer);
    return outcome === null ? null : outcome.failed;
  }

  /** Ends every wait now with this reason, as a failure would (cutover abort of a rolling deploy). */
  interrupt(reason: string): void {
    this.fail(reason);
  }

  private fail(reason: string): void {
    if (this.failed !== null) return;
    this.failed = reason;
    for (const notify of this.notify) notify(reason);
    this.notify = [];
  }
}

export function failureOf(instance: AgentInstance, wasHealthy: boolean): string | null {
  const id = instance.spec.id;
  const exit = instance.lastExit ? ` (exit code ${instance.lastExit.code ?? 'none'}, signal ${instance.lastExit.signal ?? 'none'})` : '';
  if (instance.restarts > 0 || instance.state === 'restarting') return `instance ${id} crashed${exit}`;
  // A rollout instance that exits is failed by the agent at once, never restarted: once healthy (seen by the
  // watch or by the agent, whose health checks run more often than a slow watch looks), that exit is a crash.
  const everHealthy = wasHealthy || (instance.healthyAt ?? null) !== null;
  if (instance.state === 'failed' && everHealthy && instance.lastExit) return `instance ${id} crashed: ${instance.failure ?? 'exited'}`;
  // The agent's reason names the exit already ("exited with code N"): not said twice.
  const said = instance.failure !== null && /exited with/.test(instance.failure) ? '' : exit;
  if (instance.state === 'failed') return `instance ${id} failed: ${instance.failure ?? 'unknown reason'}${said}`;
  if (instance.state === 'stopped' || instance.state === 'stopping') return `instance ${id} stopped unexpectedly${exit}`;
  if (instance.state === 'unhealthy' && wasHealthy) return `instance ${id} failed its health check after becoming healthy`;
  return null;
}
