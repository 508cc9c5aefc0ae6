import { loadConfig } from '../config/load-config.ts';
import { DeployLock, isStale } from '../controller/deploy-lock.ts';
import { currentRelease, deployLockName, markInterrupted } from '../controller/deployment-state.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';
import { formatMs } from './output.ts';
import { summarizeRollout } from './rollout-summary.ts';
import { formatTable } from './table.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'what serves now: release, instances and their health, traffic, the last deployment, the lock',
  usage: 'cutover status [--json]',
  exitCodes: EXIT_AGENT_DOWN,
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const service = loaded.config.service;
    const client = new AgentClient(loaded.dataDir);
    const state = await client.state(service);
    const store = new DeploymentStore(client.paths.deploymentsDb);
    try {
      markInterrupted(store, service);
      const [last] = store.deployments(service, 1);
      const holder = new DeployLock(store).holder(deployLockName(service));
      const lock = holder && !isStale(holder, Date.now()) ? holder : null;
      const serving = currentRelease(state.instances);
      const route = state.services.find((s) => s.route.service === service);
      const counters = route ? (await client.counters(service)).counters : {};
      const rollout = last ? summarizeRollout(last) : null;
      out.result({
        service,
        serving,
        instances: state.instances,
        route: route ?? null,
        counters,
        lastDeployment: last ?? null,
        rollout,
        lock,
      });
      out.line(
        `service ${service}: serving ${serving ?? 'nothing'}${route ? ` on ${route.route.hosts.join(',') || '*'}${route.route.pathPrefix}` : ''}`,
      );
      out.line();
      const targets = new Map(route?.targets.map((t) => [t.id, t]) ?? []);
      out.line(
        formatTable(
          ['INSTANCE', 'RELEASE', 'TYPE', 'STATE', 'PORT', 'PID', 'RESTARTS', 'TRAFFIC', 'REQUESTS', 'UP'],
          state.instances.map((i) => [
            i.spec.id,
            i.spec.release,
            i.spec.processType,
            i.state,
            i.port,
            i.pid,
            i.restarts,
            i.inPool ? (targets.get(i.spec.id)?.healthy === false ? 'ejected' : 'yes') : 'no',
            targets.get(i.spec.id)?.requests ?? null,
            formatMs(Date.now() - i.startedAt),
          ]),
        ),
      );
      if (route?.weights)
        out.line(
          `\nweights: ${Object.entries(route.weights)
            .map(([r, w]) => `${r}=${w}%`)
            .join(' ')}`,
        );
      if (last) {
        out.line(
          `\nlast deployment ${last.id}: ${last.kind} ${last.fromRelease ?? '(nothing)'} → ${last.toRelease} ${last.state}${last.reason ? `: ${last.reason}` : ''} (${new Date(last.startedAt).toISOString()})`,
        );
      }
      if (rollout?.waitingFor) out.line(`waiting: ${rollout.waitingFor}`);
      for (const verdict of rollout?.verdicts ?? []) out.line(`analysis ${verdict.analysis}: ${verdict.summary}`);
      out.line(
        lock ? `deploy lock: held by deployment ${lock.deploymentId ?? '?'} (pid ${lock.pid} on ${lock.host})` : 'deploy lock: free',
      );
      return 0;
    } finally {
      store.close();
    }
  },
};
