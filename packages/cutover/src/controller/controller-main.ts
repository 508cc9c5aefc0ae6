import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { type AgentPaths, agentPaths } from '../agent/agent-paths.ts';
import { dashboardService } from '../dashboard/dashboard-service.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { isPidAlive } from '../shared/process-group.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import type { ControllerApi, RouteModule } from './api/controller-api.ts';
import type { DeploymentRoutesContext } from './api/deployment-routes.ts';
import type { TaskRoutesContext } from './api/task-routes.ts';
import type { ControllerService } from './controller-service.ts';
import { DeploymentEvents } from './deployment-events.ts';
import { DeploymentReconciler } from './deployment-reconciler.ts';
import { taskAndNotifyServices } from './task-and-notify-services.ts';

/** What every controller service and route module can use. */
export interface ControllerContext extends DeploymentRoutesContext, TaskRoutesContext {
  paths: AgentPaths;
  /** The controller's own store (cutover.db); the agent keeps agent.db. */
  store: DeploymentStore;
  agent: AgentClient;
  /** Typed deployment events (deployment:started, paused, promoted, aborted, rolledBack, succeeded, failed). */
  events: DeploymentEvents;
  deployments: DeploymentReconciler;
}

/**
 * The composition point of the controller process: the services it runs and the API route modules
 * it serves. A scheduler or a notifier plugs in by adding a factory here (a ControllerService built
 * from the context, subscribing to `context.events` if it wants deployment events) and, for verbs,
 * a RouteModule in its own file under api/.
 */
export const CONTROLLER_SERVICES: readonly ((context: ControllerContext) => ControllerService)[] = [
  (context) => context.deployments,
  (context) => scheduledTasks(context),
  // cutover's own metrics (always) and the dashboard (on "cutover dashboard"); both load lazily.
  (context) => dashboardService(context),
];

/**
 * The task schedulers of every service, run from the config of its serving release. Deployment
 * notifications are sent by the deployment run itself (run-deployment.ts); this notification
 * service only lends its notifiers to tasks (task:failed), so it is never subscribed to events.
 */
function scheduledTasks(context: ControllerContext): ControllerService {
  const { notifications, tasks } = taskAndNotifyServices(context);
  context.tasks = tasks;
  return {
    name: tasks.name,
    start: () => tasks.start(),
    async stop() {
      await tasks.stop();
      await notifications.stop();
    },
  };
}
export const CONTROLLER_ROUTES: readonly (() => Promise<RouteModule<ControllerContext>>)[] = [
  async () => (await import('./api/deployment-routes.ts')).deploymentRoutes,
  async () => (await import('./api/task-routes.ts')).taskRoutes,
  async () => (await import('../dashboard/dashboard-routes.ts')).dashboardRoutes,
];

export interface RunningController {
  context: ControllerContext;
  api: ControllerApi;
  /** Stops taking requests and stops every service; running deployments stay recorded as running (resumed next start). */
  stop(): Promise<void>;
}

/**
 * Starts the controller of one data directory: resumes the deployments its record says are
 * running, then serves its API on the unix socket (0600) with the agent's admin token.
 */
export async function startController(dataDir: string): Promise<RunningController> {
  const paths = agentPaths(dataDir);
  refuseSecondController(paths);
  const token = readToken(paths);
  const store = new DeploymentStore(paths.deploymentsDb);
  const agent = new AgentClient(dataDir);
  const events = new DeploymentEvents();
  const deployments = new DeploymentReconciler({ store, client: agent, events });
  const context: ControllerContext = { paths, store, agent, events, deployments, tasks: null };
  const services = CONTROLLER_SERVICES.map((make) => make(context));
  for (const service of services) await service.start();
  // The API (Fastify) loads after the services started: resuming deployments does not wait for it.
  const { createControllerApi } = await import('./api/controller-api.ts');
  const modules = await Promise.all(CONTROLLER_ROUTES.map((load) => load()));
  const api = createControllerApi({ token, context, modules });
  if (existsSync(paths.controllerSocket)) unlinkSync(paths.controllerSocket);
  await api.listen({ path: paths.controllerSocket });
  chmodSync(paths.controllerSocket, 0o600);
  writeFileSync(paths.controllerPidFile, JSON.stringify({ pid: process.pid, startedAt: Date.now() }), { mode: 0o600 });
  let stopped = false;
  return {
    context,
    api,
    async stop() {
      if (stopped) return;
      stopped = true;
      await api.close();
      for (const service of [...services].reverse()) await service.stop();
      for (const file of [paths.controllerSocket, paths.controllerPidFile]) if (existsSync(file)) unlinkSync(file);
    },
  };
}

function readToken(paths: AgentPaths): string {
  try {
    return readFileSync(paths.token, 'utf8').trim();
  } catch {
    throw new CutoverError(
      'CUT_ERR_AGENT_NOT_RUNNING',
      `no admin token in ${paths.dataDir}: the controller starts beside a running agent`,
      {
        where: paths.token,
        hint: 'start the agent with "cutover up"; it starts the controller',
      },
    );
  }
}

function refuseSecondController(paths: AgentPaths): void {
  if (!existsSync(paths.controllerPidFile)) return;
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(paths.controllerPidFile, 'utf8')) as { pid: number }).pid;
  } catch {
    return;
  }
  if (pid !== process.pid && isPidAlive(pid)) {
    throw new CutoverError('CUT_ERR_CONTROLLER_ALREADY_RUNNING', `a controller (pid ${pid}) already runs for ${paths.dataDir}`, {
      where: paths.controllerPidFile,
      hint: 'the agent runs one controller per data directory; stop the other one, or wait for it to exit',
    });
  }
}
