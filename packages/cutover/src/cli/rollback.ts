import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { currentRelease } from '../controller/deployment-state.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import type { Command } from './command.ts';
import { submitAndFollow } from './follow-deployment.ts';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'go back to the last good release (or the one named) through the same health-gated switch',
  usage: 'cutover rollback [release] [--detach]',
  description: [
    'Deploys the last good release (or the one named) again through the controller, with the instance',
    'specs recorded when it was deployed, by the health-gated rolling switch (canary steps and analysis',
    'are skipped). Followed live like "cutover deploy"; Ctrl-C leaves it running.',
    'Exit codes: 0 succeeded; 1 failed; 3 agent or controller unreachable; 4 locked; 5 no good release.',
  ].join('\n'),
  options: { detach: { type: 'boolean', help: 'return as soon as the controller accepted the rollback' } },
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
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
    return submitAndFollow(out, loaded, { release: target, kind: 'rollback', detach: Boolean(options.detach) });
  },
};
