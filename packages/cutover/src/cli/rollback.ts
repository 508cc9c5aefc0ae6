import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { SILENT_OBSERVER } from '../controller/deployment-recorder.ts';
import { currentRelease } from '../controller/deployment-state.ts';
import { runDeployment } from '../controller/run-deployment.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import { type Command, EXIT_DEPLOY } from './command.ts';
import { parseSkips, reportOutcome } from './deploy.ts';
import { progressObserver } from './progress-observer.ts';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'go back to the last good release (or the one named) through the same health-gated switch',
  usage: 'cutover rollback [release] [--skip-check NAME --reason TEXT]',
  description:
    'Goes back to the last good release (or the one named) through the health-gated rolling switch,\nwithout canary steps or analysis (that release proved itself once). Pre-deploy checks run as for deploy.',
  options: {
    'skip-check': { type: 'string', multiple: true, help: 'skip a pre-deploy check by name (needs --reason; recorded)' },
    reason: { type: 'string', help: 'why the checks are skipped (kept in the record)' },
  },
  exitCodes: EXIT_DEPLOY,
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const skipChecks = parseSkips(options);
    const service = loaded.config.service;
    const client = new AgentClient(loaded.dataDir);
    const serving = currentRelease((await client.state(service)).instances);
    let target: string | undefined = args[0];
    if (!target) {
      const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
      try {
        target = store.lastGoodRelease(service, serving ?? undefined) ?? undefined;
      } finally {
        store.close();
      }
      if (!target) {
        throw new CutoverError(
          'CUT_ERR_DEPLOY_NO_GOOD_RELEASE',
          `no earlier good release of ${service} is recorded${serving ? ` (serving ${serving})` : ''}`,
          {
            hint: 'name the release to go back to: "cutover rollback v1"; "cutover history" lists past deployments',
          },
        );
      }
    }
    if (!out.json) out.line(`rolling back ${service}: ${serving ?? '(nothing)'} → ${target}`);
    const outcome = await runDeployment({
      loaded,
      release: target,
      kind: 'rollback',
      skipChecks,
      observer: out.json ? SILENT_OBSERVER : progressObserver(out),
    });
    return reportOutcome(out, outcome, loaded.dataDir);
  },
};
