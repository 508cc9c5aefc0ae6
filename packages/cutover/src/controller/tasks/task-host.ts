import type { LoadedConfig } from '../../config/load-config.ts';
import type { DeployLease, LockAttempt } from '../deploy-lock.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { TaskClock } from './task-clock.ts';
import { openTaskService, type TaskService } from './task-service.ts';

/** Where the task host learns which services exist and with which config their tasks run. */
export interface TaskHostSources {
  /** Services whose config is known (each has a deployment that succeeded). */
  services(): string[];
  /** The config of the service's serving release (its last successful deployment's cutover.yml). */
  configOf(service: string): LoadedConfig | null;
  /** Tells when a deployment succeeded: its service's tasks are then reloaded from the new config. */
  onDeploymentSucceeded(listener: (service: string) => void): () => void;
  /** The notifier for a service's task:failed (default: one of the task service's own). */
  notifierFor?: (loaded: LoadedConfig) => Notifier;
  clock?: TaskClock;
  /**
   * Takes the service's task lease (see task-lease.ts), so that the host and a `cutover tasks serve`
   * never both schedule it. Absent: no lease (tests of the host alone).
   */
  lease?: (service: string) => LockAttempt;
  /** How often a service whose lease is held elsewhere is tried again (default 5 s). */
  leaseRetryMs?: number;
  /**
   * How often every service is looked at again (default 5 s): a deployment that ran outside the
   * controller (`cutover up`) changes the serving config without a controller event.
   */
  rescanMs?: number;
  /** Told when a service's tasks are not scheduled here because its lease is held elsewhere. */
  onLeaseHeld?: (service: string, holder: { pid: number; host: string }) => void;
}

/** How often a service whose task lease is held elsewhere is tried again. */
export const TASK_LEASE_RETRY_MS = 5_000;

/**
 * Runs the task schedulers of every service of a controller: one per service, from the cutover.yml
 * its serving release was deployed with, replaced when a deployment of it succeeds (tasks change
 * with the release that serves, never with a half-switched one).
 */
export class TaskHost {
  readonly name = 'tasks';
  readonly #sources: TaskHostSources;
  readonly #services = new Map<string, { key: string; tasks: TaskService; lease: DeployLease | null }>();
  /** Services whose task lease another scheduler holds: tried again every leaseRetryMs. */
  readonly #waiting = new Map<string, NodeJS.Timeout>();
  #unsubscribe: (() => void) | null = null;
  #reloading: Promise<void> = Promise.resolve();
  #rescan: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(sources: TaskHostSources) {
    this.#sources = sources;
  }

  async start(): Promise<void> {
    for (const service of this.#sources.services()) await this.reload(service);
    this.#unsubscribe = this.#sources.onDeploymentSucceeded((service) => {
      this.#reloading = this.#reloading.then(() => this.reload(service)).catch(() => {});
    });
    this.#rescan = setInterval(() => {
      if (this.#stopped) return;
      for (const service of this.#sources.services())
        if (!this.#waiting.has(service)) this.#reloading = this.#reloading.then(() => this.reload(service)).catch(() => {});
    }, this.#sources.rescanMs ?? TASK_LEASE_RETRY_MS);
    this.#rescan.unref();
  }

  /** (Re)starts a service's scheduler from its current config; an unchanged config keeps the running one. */
  async reload(service: string): Promise<void> {
    const loaded = this.#sources.configOf(service);
    const key = loaded ? JSON.stringify([loaded.file, loaded.config.tasks, loaded.config.notify]) : '';
    const current = this.#services.get(service);
    if (current && current.key === key && (current.lease === null || current.lease.held())) return;
    clearTimeout(this.#waiting.get(service));
    this.#waiting.delete(service);
    if (current) {
      this.#services.delete(service);
      await current.tasks.close();
      current.lease?.release();
    }
    if (this.#stopped || !loaded || Object.keys(loaded.config.tasks).length === 0) return;
    let lease: DeployLease | null = null;
    if (this.#sources.lease) {
      const attempt = this.#sources.lease(service);
      if (!attempt.acquired) {
        this.#sources.onLeaseHeld?.(service, attempt.holder);
        const retry = setTimeout(() => {
          this.#waiting.delete(service);
          this.#reloading = this.#reloading.then(() => this.reload(service)).catch(() => {});
        }, this.#sources.leaseRetryMs ?? TASK_LEASE_RETRY_MS);
        retry.unref();
        this.#waiting.set(service, retry);
        return;
      }
      lease = attempt.lease;
    }
    const tasks = openTaskService(loaded, { clock: this.#sources.clock, notifier: this.#sources.notifierFor?.(loaded) });
    tasks.scheduler.start();
    this.#services.set(service, { key, tasks, lease });
  }

  /**
   * The task service of `service`, looked up again first when none runs (a deployment outside the
   * controller may have just made its tasks known), queued behind any reload under way.
   */
  async ensure(service: string): Promise<TaskService | null> {
    if (!this.#services.has(service) && !this.#waiting.has(service) && !this.#stopped)
      this.#reloading = this.#reloading.then(() => this.reload(service)).catch(() => {});
    await this.#reloading;
    return this.tasksOf(service);
  }

  /** Services whose tasks another scheduler (`cutover tasks serve`) holds, so they are not scheduled here. */
  heldElsewhere(): string[] {
    return [...this.#waiting.keys()];
  }

  /** The running task service of a service (for `cutover tasks` through the controller), or null. */
  tasksOf(service: string): TaskService | null {
    return this.#services.get(service)?.tasks ?? null;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#rescan);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const timer of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    await this.#reloading;
    const all = [...this.#services.values()];
    this.#services.clear();
    await Promise.all(
      all.map(async ({ tasks, lease }) => {
        await tasks.close();
        lease?.release();
      }),
    );
  }
}
