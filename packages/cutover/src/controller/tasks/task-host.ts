import type { LoadedConfig } from '../../config/load-config.ts';
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
}

/**
 * Runs the task schedulers of every service of a controller: one per service, from the cutover.yml
 * its serving release was deployed with, replaced when a deployment of it succeeds (tasks change
 * with the release that serves, never with a half-switched one).
 */
export class TaskHost {
  readonly name = 'tasks';
  readonly #sources: TaskHostSources;
  readonly #services = new Map<string, { key: string; tasks: TaskService }>();
  #unsubscribe: (() => void) | null = null;
  #reloading: Promise<void> = Promise.resolve();

  constructor(sources: TaskHostSources) {
    this.#sources = sources;
  }

  async start(): Promise<void> {
    for (const service of this.#sources.services()) await this.reload(service);
    this.#unsubscribe = this.#sources.onDeploymentSucceeded((service) => {
      this.#reloading = this.#reloading.then(() => this.reload(service)).catch(() => {});
    });
  }

  /** (Re)starts a service's scheduler from its current config; an unchanged config keeps the running one. */
  async reload(service: string): Promise<void> {
    const loaded = this.#sources.configOf(service);
    const key = loaded ? JSON.stringify([loaded.file, loaded.config.tasks, loaded.config.notify]) : '';
    const current = this.#services.get(service);
    if (current && current.key === key) return;
    if (current) {
      this.#services.delete(service);
      await current.tasks.close();
    }
    if (!loaded || Object.keys(loaded.config.tasks).length === 0) return;
    const tasks = openTaskService(loaded, { clock: this.#sources.clock, notifier: this.#sources.notifierFor?.(loaded) });
    tasks.scheduler.start();
    this.#services.set(service, { key, tasks });
  }

  /** The running task service of a service (for `cutover tasks` through the controller), or null. */
  tasksOf(service: string): TaskService | null {
    return this.#services.get(service)?.tasks ?? null;
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#reloading;
    const all = [...this.#services.values()];
    this.#services.clear();
    await Promise.all(all.map(({ tasks }) => tasks.close()));
  }
}
