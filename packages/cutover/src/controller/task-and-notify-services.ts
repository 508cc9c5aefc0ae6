import type { DatabaseSync } from 'node:sqlite';
import { type LoadedConfig, parseConfigText } from '../config/load-config.ts';
import type { SubmittedConfig } from '../store/deployment-store.ts';
import { type ControllerDeploymentEvent, NotificationService } from './notify/notification-service.ts';
import { TaskHost } from './tasks/task-host.ts';
import { acquireTaskLease } from './tasks/task-lease.ts';

/** What these services need of the controller's context (its store, events and paths). */
export interface TaskAndNotifyContext {
  paths: { deploymentsDb: string };
  store: {
    db: DatabaseSync;
    /** The config a deployment was submitted with: cutover.yml's path and text, and its environment's overlay. */
    submittedConfig(id: number): SubmittedConfig | null;
    deployment(id: number): { fromRelease: string | null } | undefined;
  };
  events: { onAny(listener: (name: string, payload: ControllerDeploymentEvent) => void): () => void };
}

/** Submitted configs parsed once per deployment (a submission never changes). */
const PARSED_LIMIT = 64;

/**
 * The controller's notifications and task schedulers, built from its context: notifications follow
 * every deployment event with the webhooks of that deployment's config; each service's tasks run
 * from the config of its last successful deployment, reloaded when another one succeeds or a
 * deployment is rolled back.
 */
export function taskAndNotifyServices(context: TaskAndNotifyContext): { notifications: NotificationService; tasks: TaskHost } {
  const parsed = new Map<number, LoadedConfig | null>();
  const configOf = (deploymentId: number): LoadedConfig | null => {
    if (parsed.has(deploymentId)) return parsed.get(deploymentId) ?? null;
    const submitted = context.store.submittedConfig(deploymentId);
    let loaded: LoadedConfig | null = null;
    if (submitted) {
      try {
        loaded = parseConfigText(submitted.configText, submitted.configFile, submitted.environment);
      } catch {
        loaded = null; // a config that no longer parses (a newer cutover's keys): no tasks, no notifications
      }
    }
    if (parsed.size >= PARSED_LIMIT) parsed.delete(parsed.keys().next().value as number);
    parsed.set(deploymentId, loaded);
    return loaded;
  };
  const lastGood = (service: string): number | null => {
    const row = context.store.db
      .prepare(
        `SELECT id FROM deployments WHERE service = ? AND state = 'succeeded' AND submission_json IS NOT NULL ORDER BY id DESC LIMIT 1`,
      )
      .get(service);
    return (row?.id as number | undefined) ?? null;
  };
  const notifications = new NotificationService({
    onDeploymentEvent: (listener) => context.events.onAny(listener),
    configOf,
    fromReleaseOf: (id) => context.store.deployment(id)?.fromRelease ?? null,
    storeFile: context.paths.deploymentsDb,
  });
  const tasks = new TaskHost({
    services: () =>
      context.store.db
        .prepare(`SELECT DISTINCT service FROM deployments WHERE state = 'succeeded' AND submission_json IS NOT NULL`)
        .all()
        .map((row) => row.service as string),
    configOf: (service) => {
      const id = lastGood(service);
      return id === null ? null : configOf(id);
    },
    onDeploymentSucceeded: (listener) =>
      context.events.onAny((name, payload) => {
        if (name === 'deployment:succeeded' || name === 'deployment:rolledBack') listener(payload.service);
      }),
    notifierFor: (loaded) => notifications.notifierFor(loaded),
    // The same lease `cutover tasks serve` takes: the two never both schedule a service.
    lease: (service) => acquireTaskLease(context.store, service),
  });
  return { notifications, tasks };
}
