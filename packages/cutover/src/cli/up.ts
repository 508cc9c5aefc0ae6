import type { LoadedConfig } from '../config/load-config.ts';
import { loadConfig } from '../config/load-config.ts';
import { SILENT_OBSERVER } from '../controller/deployment-recorder.ts';
import { currentRelease } from '../controller/deployment-state.ts';
import type { SkipCheck } from '../controller/pipeline.ts';
import { runDeployment } from '../controller/run-deployment.ts';
import { buildRouteSpec } from '../controller/steps/route-spec.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { isPidAlive } from '../shared/process-group.ts';
import { runAgentInProcess, startBackgroundAgent } from './agent-process.ts';
import { type Command, EXIT_DEPLOY } from './command.ts';
import { parseSkips, reportOutcome } from './deploy.ts';
import type { Output } from './output.ts';
import { progressObserver } from './progress-observer.ts';
import { withRecords } from './recorded-deployments.ts';
import { clearStopRecord, readStopRecord } from './stop-record.ts';
import { stopServiceInstances } from './stop-service-instances.ts';
import { warmProxy, warmTarget } from './warm-proxy.ts';

/** How long a failed first `cutover up` waits for the agent it started to exit. */
const AGENT_EXIT_TIMEOUT_MS = 30_000;

export const upCommand: Command = {
  name: 'up',
  summary: 'start the agent and, if nothing runs yet, deploy a first release',
  usage: 'cutover up [--release <name>] [--foreground]',
  description: [
    'Starts the agent for this cutover.yml (in the background, or in this terminal with --foreground) and',
    'routes the service. When no instance of the service runs, it deploys --release, or else the release',
    'that served before "cutover down". When the service already runs, it changes nothing (use',
    '"cutover deploy <release>" to move it to another release). A first start that fails stops what it',
    'started: the instances, and the agent when this command started it. A first start that succeeded',
    'sends a short burst of GETs of the http health path through the proxy, so that its request path has',
    'run before the first user request.',
  ].join('\n'),
  options: {
    release: { type: 'string', short: 'r', help: 'release to deploy when nothing runs yet (default: the one that served before)' },
    foreground: { type: 'boolean', short: 'f', help: 'run the agent in this terminal (Ctrl-C stops everything)' },
    'skip-check': { type: 'string', multiple: true, help: 'first deploy: skip a pre-deploy check by name (needs --reason; recorded)' },
    reason: { type: 'string', help: 'why the checks are skipped (kept in the record)' },
  },
  exitCodes: { ...EXIT_DEPLOY, 1: 'the first deployment failed (what it started was stopped)' },
  async run({ options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const release = options.release as string | undefined;
    const skipChecks = parseSkips(options);
    if (options.foreground) {
      return runAgentInProcess(loaded, async (address) => {
        out.line(`agent ready: http on :${address.httpPort}${address.httpsPort ? `, https on :${address.httpsPort}` : ''}`);
        const code = await bringUp(loaded, release, out, skipChecks).catch((error) => {
          out.error(error);
          return 1;
        });
        if (code !== 0) process.kill(process.pid, 'SIGINT');
        else out.line('running: Ctrl-C stops the agent and the service');
      });
    }
    const client = new AgentClient(loaded.dataDir);
    let startedAgent = false;
    if (!(await client.isRunning())) {
      const step = out.step('starting the agent');
      await startBackgroundAgent(loaded).catch((error) => {
        step.fail();
        throw error;
      });
      step.done();
      startedAgent = true;
    }
    try {
      const code = await bringUp(loaded, release, out, skipChecks);
      if (code !== 0 && startedAgent) await stopAgentIfIdle(client);
      return code;
    } catch (error) {
      if (startedAgent) await stopAgentIfIdle(client).catch(() => undefined);
      throw error;
    }
  },
};

async function bringUp(loaded: LoadedConfig, requested: string | undefined, out: Output, skipChecks: SkipCheck[]): Promise<number> {
  const client = new AgentClient(loaded.dataDir);
  const service = loaded.config.service;
  await client.setRoute(buildRouteSpec(loaded));
  const { instances } = await client.state(service);
  const url = `http://localhost:${loaded.config.agent.httpPort}${loaded.config.proxy.pathPrefix}`;
  if (instances.length > 0) {
    const serving = currentRelease(instances) ?? instances[0].spec.release;
    if (requested && requested !== serving) {
      const reason = `${service} already serves ${serving}; "cutover up" starts only what is stopped`;
      out.result({ service, url, instances: instances.length, serving, changed: false, reason });
      out.line(`did nothing: ${reason}. To move it to ${requested}: cutover deploy ${requested}`);
      return 0;
    }
    out.result({ service, url, instances: instances.length, serving, changed: false });
    out.line(`${service} is up at ${url} (${instances.length} instance(s) of ${serving})`);
    return 0;
  }
  const previous = readStopRecord(loaded.dataDir, service)?.release ?? withRecords(loaded.dataDir, (r) => r.lastGoodRelease(service));
  const release = requested ?? previous ?? undefined;
  if (!release) {
    out.result({ service, url, instances: 0, serving: null, changed: false });
    out.line('agent up; deploy a first release with "cutover deploy <release>" (or "cutover up --release <release>")');
    return 0;
  }
  if (!requested) out.line(`bringing back ${release}, the release that served before "cutover down"`);
  const outcome = await runDeployment({
    loaded,
    release,
    kind: 'deploy',
    skipChecks,
    observer: out.json ? SILENT_OBSERVER : progressObserver(out),
  });
  if (outcome.state !== 'succeeded') await stopServiceInstances(client, service);
  const code = await reportOutcome(out, outcome, loaded.dataDir);
  if (code === 0) {
    clearStopRecord(loaded.dataDir, service);
    const warm = warmTarget(loaded.config);
    if (warm) await warmProxy(loaded.config.agent.httpPort, warm);
    out.line(`${service} ${release} is up at ${url}`);
  }
  return code;
}

/** Stops the agent this `cutover up` started when it runs nothing (a failed first start leaves no agent behind). */
async function stopAgentIfIdle(client: AgentClient): Promise<void> {
  const { instances } = await client.state();
  if (instances.length > 0) return;
  const { pid } = await client.health();
  await client.shutdown(true);
  const deadline = Date.now() + AGENT_EXIT_TIMEOUT_MS;
  while (Date.now() < deadline && isPidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
}
