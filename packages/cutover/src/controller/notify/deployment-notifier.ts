import type { LoadedConfig } from '../../config/load-config.ts';
import type { DeploymentState } from '../../store/deployment-store.ts';
import type { DeploymentObserver } from '../deployment-recorder.ts';
import { type DeploymentFacts, deploymentEnded, deploymentStarted, notifyingObserver } from './deployment-notifications.ts';
import { NotificationStore } from './notification-store.ts';
import { Notifier } from './notifier.ts';

/** How long a deploy that has ended waits for its notifications' first attempts before it returns (2 s). */
export const DEPLOY_NOTIFY_SETTLE_MS = 2_000;

/** The notifications of one deployment: none at all when cutover.yml has no webhooks. */
export interface DeploymentNotifier {
  observe(observer: DeploymentObserver): DeploymentObserver;
  started(facts: DeploymentFacts): void;
  ended(state: Exclude<DeploymentState, 'running'>, reason: string | null): void;
  /** Waits (bounded) for the deliveries to settle, then closes; anything still pending stays queued for the next notifier. */
  close(): Promise<void>;
}

export function openDeploymentNotifier(loaded: LoadedConfig, storeFile: string): DeploymentNotifier {
  const webhooks = loaded.config.notify.webhooks;
  if (webhooks.length === 0) return { observe: (o) => o, started() {}, ended() {}, close: async () => {} };
  const store = new NotificationStore(storeFile);
  const notifier = new Notifier({ service: loaded.config.service, webhooks, store, root: loaded.root });
  notifier.resume();
  let facts: DeploymentFacts | null = null;
  return {
    observe: (observer) =>
      notifyingObserver(
        observer,
        () => facts,
        (n) => notifier.notify(n),
      ),
    started(value) {
      facts = value;
      notifier.notify(deploymentStarted(value, Date.now()));
    },
    ended(state, reason) {
      const n = facts ? deploymentEnded(facts, state, reason, Date.now()) : null;
      if (n) notifier.notify(n);
    },
    async close() {
      await notifier.settled(DEPLOY_NOTIFY_SETTLE_MS);
      notifier.stop();
      store.close();
    },
  };
}
