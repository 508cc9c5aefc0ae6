import { agentPaths } from '../../agent/agent-paths.ts';
import type { LoadedConfig } from '../../config/load-config.ts';
import { DeploymentStore } from '../../store/deployment-store.ts';
import { taskFailed } from '../notify/deployment-notifications.ts';
import { NotificationStore } from '../notify/notification-store.ts';
import { Notifier } from '../notify/notifier.ts';
import { servingRelease } from './serving-release.ts';
import type { TaskClock } from './task-clock.ts';
import { createTaskExecutor } from './task-executor.ts';
import { SqliteTaskRunStore } from './task-run-store.ts';
import { type TaskEvent, TaskScheduler } from './task-scheduler.ts';

/** The scheduler of one service wired to its stores in the data directory and to its notifications. */
export interface TaskService {
  scheduler: TaskScheduler;
  runs: SqliteTaskRunStore;
  notifier: Notifier;
  /** Stops the scheduler (running tasks too), lets notifications settle briefly, closes the stores. */
  close(options?: { settleMs?: number }): Promise<void>;
}

export function openTaskService(
  loaded: LoadedConfig,
  options: { clock?: TaskClock; onEvent?: (event: TaskEvent) => void; notifier?: Notifier } = {},
): TaskService {
  const file = agentPaths(loaded.dataDir).deploymentsDb;
  const service = loaded.config.service;
  const deployments = new DeploymentStore(file);
  const runs = new SqliteTaskRunStore(file);
  // A shared notifier (the controller's) is used as is; otherwise this service has its own.
  const notifications = options.notifier ? null : new NotificationStore(file);
  const notifier =
    options.notifier ?? new Notifier({ service, webhooks: loaded.config.notify.webhooks, store: notifications!, root: loaded.root });
  if (!options.notifier) notifier.resume();
  const scheduler = new TaskScheduler({
    service,
    tasks: loaded.config.tasks,
    store: runs,
    clock: options.clock,
    execute: createTaskExecutor({ loaded, servingRelease: (processType) => servingRelease(deployments, service, { processType }) }),
    onEvent: (event) => {
      if (event.type === 'task:failed') notifier.notify(taskFailed(event.run, Date.now()));
      options.onEvent?.(event);
    },
  });
  return {
    scheduler,
    runs,
    notifier,
    async close({ settleMs = 2_000 } = {}) {
      await scheduler.stop();
      if (notifications) {
        await notifier.settled(settleMs);
        notifier.stop();
        notifications.close();
      }
      runs.close();
      deployments.close();
    },
  };
}
