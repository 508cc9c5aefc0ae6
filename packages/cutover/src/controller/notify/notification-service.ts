import type { LoadedConfig } from '../../config/load-config.ts';
import type { NotificationEventType } from '../../config/schema-notify.ts';
import { type DeploymentFacts, deploymentEnded, deploymentEventNotification, deploymentStarted } from './deployment-notifications.ts';
import type { Notification } from './notification.ts';
import { NotificationStore } from './notification-store.ts';
import { Notifier } from './notifier.ts';

/** A deployment event as the controller emits it (`deployment:rolledBack` and the rest). */
export interface ControllerDeploymentEvent {
  deploymentId: number;
  service: string;
  release: string;
  kind: string;
  at: number;
  reason?: string;
  rolledBackTo?: string;
}

/** Where the notification service learns of deployments and of the config each one runs with. */
export interface NotificationSources {
  /** Subscribes to every deployment event; returns the unsubscribe function. */
  onDeploymentEvent(listener: (name: string, event: ControllerDeploymentEvent) => void): () => void;
  /** The config a deployment runs with (its submitted cutover.yml), or null. */
  configOf(deploymentId: number): LoadedConfig | null;
  /** The release a deployment moves from, for the message. */
  fromReleaseOf(deploymentId: number): string | null;
  /** The controller's cutover.db. */
  storeFile: string;
}

/** The controller's event names, by the notification each becomes (resumed: none, interrupted: failed). */
const BY_CONTROLLER_EVENT: Record<string, NotificationEventType | null> = {
  'deployment:started': 'deployment:started',
  'deployment:paused': 'deployment:paused',
  'deployment:promoted': 'deployment:promoted',
  'deployment:aborted': 'deployment:aborted',
  'deployment:rolledBack': 'deployment:rolled-back',
  'deployment:succeeded': 'deployment:succeeded',
  'deployment:failed': 'deployment:failed',
  'deployment:interrupted': 'deployment:failed',
  'deployment:resumed': null,
};

/** Turns one controller event into the notification its webhooks receive (pure). */
export function notificationOfControllerEvent(
  name: string,
  event: ControllerDeploymentEvent,
  fromRelease: string | null,
): Notification | null {
  const type = BY_CONTROLLER_EVENT[name];
  if (!type) return null;
  const facts: DeploymentFacts = { service: event.service, id: event.deploymentId, release: event.release, fromRelease, kind: event.kind };
  const reason = event.reason ?? null;
  switch (type) {
    case 'deployment:started':
      return deploymentStarted(facts, event.at);
    case 'deployment:succeeded':
      return deploymentEnded(facts, 'succeeded', reason, event.at);
    case 'deployment:failed':
      return deploymentEnded(facts, 'failed', reason, event.at);
    case 'deployment:rolled-back':
      return deploymentEnded({ ...facts, fromRelease: event.rolledBackTo || fromRelease }, 'rolled_back', reason, event.at);
    case 'deployment:paused':
      return deploymentEventNotification('rollout:paused', { reason }, facts, event.at);
    case 'deployment:promoted':
      return deploymentEventNotification('rollout:promoting', {}, facts, event.at);
    case 'deployment:aborted':
      return deploymentEventNotification('rollout:aborted', { reason }, facts, event.at);
    default:
      return null;
  }
}

/**
 * The controller's notifications: every deployment event goes to the webhooks of the config that
 * deployment runs with. One notifier per service, renewed when its webhooks change; all share the
 * outbox in cutover.db, so deliveries left pending by a stopped controller are sent on start.
 */
export class NotificationService {
  readonly name = 'notifications';
  readonly #sources: NotificationSources;
  readonly #notifiers = new Map<string, { key: string; notifier: Notifier }>();
  #store: NotificationStore | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(sources: NotificationSources) {
    this.#sources = sources;
  }

  async start(): Promise<void> {
    this.#store = new NotificationStore(this.#sources.storeFile);
    this.#unsubscribe = this.#sources.onDeploymentEvent((name, event) => {
      const loaded = this.#sources.configOf(event.deploymentId);
      const notification = notificationOfControllerEvent(name, event, this.#sources.fromReleaseOf(event.deploymentId));
      if (loaded && notification) this.notifierFor(loaded).notify(notification);
    });
  }

  /** The notifier of a service for this config (tasks use it for task:failed). */
  notifierFor(loaded: LoadedConfig): Notifier {
    const service = loaded.config.service;
    const key = JSON.stringify([loaded.root, loaded.config.notify.webhooks]);
    const known = this.#notifiers.get(service);
    if (known?.key === key) return known.notifier;
    known?.notifier.stop();
    if (!this.#store) this.#store = new NotificationStore(this.#sources.storeFile);
    const notifier = new Notifier({ service, webhooks: loaded.config.notify.webhooks, store: this.#store, root: loaded.root });
    notifier.resume();
    this.#notifiers.set(service, { key, notifier });
    return notifier;
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await Promise.all([...this.#notifiers.values()].map(({ notifier }) => notifier.settled(2_000)));
    for (const { notifier } of this.#notifiers.values()) notifier.stop();
    this.#notifiers.clear();
    this.#store?.close();
    this.#store = null;
  }
}
