import { EventEmitter } from 'node:events';

/** What a deployment event tells its listeners (a notifier, a dashboard). */
export interface DeploymentEventPayload {
  deploymentId: number;
  service: string;
  release: string;
  kind: 'deploy' | 'rollback';
  at: number;
  /** Why, where there is one (the failure, the abort cause, what the pause waits for). */
  reason?: string;
}

/** Every deployment event the controller emits, typed `noun:verb`. */
export interface DeploymentEventMap {
  'deployment:started': DeploymentEventPayload;
  'deployment:paused': DeploymentEventPayload;
  'deployment:promoted': DeploymentEventPayload;
  'deployment:aborted': DeploymentEventPayload;
  'deployment:rolledBack': DeploymentEventPayload & { rolledBackTo: string };
  'deployment:succeeded': DeploymentEventPayload;
  'deployment:failed': DeploymentEventPayload;
  /** Also: a resumed deployment (a controller restart), and one that lost its lock. */
  'deployment:resumed': DeploymentEventPayload;
  'deployment:interrupted': DeploymentEventPayload;
}

export type DeploymentEventName = keyof DeploymentEventMap;

/**
 * The controller's deployment events, for whoever subscribes (the notifier sends them as
 * webhooks). Listeners run synchronously on emit and must not throw or block: a listener error
 * is swallowed so that a notification can never fail or slow a deployment.
 */
export class DeploymentEvents {
  readonly #emitter = new EventEmitter();

  on<K extends DeploymentEventName>(name: K, listener: (payload: DeploymentEventMap[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  /** Subscribes to every event (a notifier filters by its configuration). */
  onAny(listener: <K extends DeploymentEventName>(name: K, payload: DeploymentEventMap[K]) => void): () => void {
    const names = DEPLOYMENT_EVENT_NAMES;
    const bound = names.map((name) => [name, (payload: DeploymentEventMap[typeof name]) => listener(name, payload)] as const);
    for (const [name, fn] of bound) this.#emitter.on(name, fn);
    return () => {
      for (const [name, fn] of bound) this.#emitter.off(name, fn);
    };
  }

  emit<K extends DeploymentEventName>(name: K, payload: DeploymentEventMap[K]): void {
    for (const listener of this.#emitter.listeners(name)) {
      try {
        (listener as (p: DeploymentEventMap[K]) => void)(payload);
      } catch {
        // A listener's failure is its own: the deployment goes on.
      }
    }
  }
}

export const DEPLOYMENT_EVENT_NAMES: readonly DeploymentEventName[] = [
  'deployment:started',
  'deployment:paused',
  'deployment:promoted',
  'deployment:aborted',
  'deployment:rolledBack',
  'deployment:succeeded',
  'deployment:failed',
  'deployment:resumed',
  'deployment:interrupted',
];
