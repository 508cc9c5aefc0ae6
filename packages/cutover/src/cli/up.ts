import type { LoadedConfig } from '../config/load-config.ts';
import { loadConfig } from '../config/load-config.ts';
import { SILENT_OBSERVER } from '../controller/deployment-recorder.ts';
import type { SkipCheck } from '../controller/pipeline.ts';
import { runDeployment } from '../controller/run-deployment.ts';
import { buildRouteSpec } from '../controller/steps/route-spec.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { runAgentInProcess, startBackgroundAgent } from './agent-process.ts';
import { type Command, EXIT_DEPLOY } from './command.ts';
import { parseSkips, reportOutcome } from './deploy.ts';
import type { Output } from './output.ts';
import { progressObserver } from './progress-observer.ts';

export const upCommand: Command = {
  name: 'up',
  summary: 'start the agent and, if nothing runs yet, deploy a first release',
  usage: 'cutover up [--release <name>] [--foreground]',
  description:
    'Starts the agent for this cutover.yml (in the background, or in this terminal with --foreground) and\nroutes the service. When no instance of the service runs yet and --release is given, deploys it.',
  options: {
    release: { type: 'string', short: 'r', help: 'release to deploy when nothing runs yet' },
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
        const code = await bringUp(loaded, release, out, skipChecks);
        if (code !== 0) process.kill(process.pid, 'SIGINT');
        else out.line('running: Ctrl-C stops the agent and the service');
      });
    }
    const client = new AgentClient(loaded.dataDir);
    if (!(await client.isRunning())) {
      const step = out.step('starting the agent');
      await startBackgroundAgent(loaded).catch((error) => {
        step.fail();
        throw error;
      });
      step.done();
    }
    return bringUp(loaded, release, out, skipChecks);
  },
};

async function bringUp(loaded: LoadedConfig, release: string | undefined, out: Output, skipChecks: SkipCheck[]): Promise<number> {
  const client = new AgentClient(loaded.dataDir);
  const service = loaded.config.service;
  await client.setRoute(buildRouteSpec(loaded));
  const { instances } = await client.state(service);
  const url = `http://localhost:${loaded.config.agent.httpPort}${loaded.config.proxy.pathPrefix}`;
  if (instances.length > 0 || !release) {
    out.result({ service, url, instances: instances.length });
    out.line(
      instances.length > 0
        ? `${service} is up at ${url} (${instances.length} instance(s))`
        : `agent up; deploy a first release with "cutover deploy <release>"`,
    );
    return 0;
  }
  const outcome = await runDeployment({
    loaded,
    release,
    kind: 'deploy',
    skipChecks,
    observer: out.json ? SILENT_OBSERVER : progressObserver(out),
  });
  const code = reportOutcome(out, outcome);
  if (code === 0) out.line(`${service} ${release} is up at ${url}`);
  return code;
}
