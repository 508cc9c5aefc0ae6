import { loadConfig } from '../config/load-config.ts';
import { DeployLock, isStale } from '../controller/deploy-lock.ts';
import { currentRelease, deployLockName } from '../controller/deployment-state.ts';
import { AgentClient } from '../platform/agent-client.ts';
import type { DeploymentRecord } from '../store/deployment-store.ts';
import { type Command, EXIT_AGENT_DOWN } from './command.ts';
import { k8sStatus, TARGET_OPTION, targetsKubernetes } from './k8s-target.ts';
import type { Output } from './output.ts';
import { formatMs } from './output.ts';
import { withRecords } from './recorded-deployments.ts';
import { summarizeRollout } from './rollout-summary.ts';
import { readStopRecord } from './stop-record.ts';
import { formatTable } from './table.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'what serves now: release, instances and their health, traffic, the last deployment, the lock',
  usage: 'cutover status [--json]',
  description:
    'Shows what runs for the service of cutover.yml. When nothing runs (after "cutover down", or before the\nfirst "cutover up") it says so, with the last deployment, and exits 0. It reads only: it writes no record.',
  options: TARGET_OPTION,
  exitCodes: EXIT_AGENT_DOWN,
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (targetsKubernetes(loaded, options)) return k8sStatus(out, loaded);
    const service = loaded.config.service;
    const client = new AgentClient(loaded.dataDir);
    const agentRunning = await client.isRunning();
    const state = agentRunning ? await client.state(service) : { instances: [], services: [] };
    const route = state.services.find((s) => s.route.service === service);
    const counters = route ? (await client.counters(service)).counters : {};
    return withRecords(loaded.dataDir, (records) => {
      const [last] = records.deployments(service, 1);
      const holder = records.store ? new DeployLock(records.store).holder(deployLockName(service)) : undefined;
      const lock = holder && !isStale(holder, Date.now()) ? holder : null;
      const serving = currentRelease(state.instances);
      const rollout = last ? summarizeRollout(last) : null;
      const previous = readStopRecord(loaded.dataDir, service)?.release ?? records.lastGoodRelease(service);
      const running = state.instances.length > 0;
      out.result({
        service,
        environment: loaded.environment?.name ?? null,
        running,
        agent: agentRunning ? 'running' : 'not running',
        serving,
        instances: state.instances,
        route: route ?? null,
        counters,
        lastDeployment: last ?? null,
        rollout,
        lock,
      });
      if (!running) {
        printNotRunning(out, service, agentRunning, previous, last);
        return 0;
      }
      out.line(
        `service ${service}${loaded.environment ? ` (${loaded.environment.name})` : ''}: serving ${serving ?? 'nothing'}${route ? ` on ${describeRoute(route.route)}` : ''}`,
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
      if (last) out.line(`\n${describeDeployment(last)}`);
      if (rollout?.waitingFor) out.line(`waiting: ${rollout.waitingFor}`);
      for (const verdict of rollout?.verdicts ?? []) out.line(`analysis ${verdict.analysis}: ${verdict.summary}`);
      out.line(
        lock ? `deploy lock: held by deployment ${lock.deploymentId ?? '?'} (pid ${lock.pid} on ${lock.host})` : 'deploy lock: free',
      );
      return 0;
    });
  },
};

function printNotRunning(out: Output, service: string, agentRunning: boolean, previous: string | null, last: DeploymentRecord | undefined) {
  const bringBack = previous ? ` "cutover up" brings back ${previous}.` : ' "cutover up --release <name>" starts a first release.';
  out.line(
    agentRunning
      ? `service ${service}: not running (no instance runs; the agent runs for other services).${bringBack}`
      : `service ${service}: not running (neither the service nor the agent runs).${bringBack}`,
  );
  if (last) out.line(describeDeployment(last));
  else out.line('no deployment recorded yet');
}

function describeDeployment(last: DeploymentRecord): string {
  return `last deployment ${last.id}: ${last.kind} ${last.fromRelease ?? '(nothing)'} → ${last.toRelease} ${last.state}${last.reason ? `: ${last.reason}` : ''} (${new Date(last.startedAt).toISOString()})`;
}

/** A route in words: which hosts and which paths reach the service ("any host, every path"). */
export function describeRoute(route: { hosts: readonly string[]; pathPrefix: string }): string {
  const hosts = route.hosts.length === 0 ? 'any host' : route.hosts.join(', ');
  const paths = route.pathPrefix === '/' ? 'every path' : `paths under ${route.pathPrefix}`;
  return `${hosts}, ${paths}`;
}
