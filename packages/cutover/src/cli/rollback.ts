import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { currentRelease } from '../controller/deployment-state.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { AgentClient } from '../platform/agent-client.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import { type Command, EXIT_DEPLOY, EXIT_DETACHED } from './command.ts';
import { parseSkips } from './deploy.ts';
import { submitAndFollow } from './follow-deployment.ts';
import { k8sRollback, TARGET_OPTION, targetsKubernetes } from './k8s-target.ts';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'go back to the last good release (or the one named) through the same health-gated switch',
  usage: 'cutover rollback [release] [--detach] [--skip-check NAME --reason TEXT]',
  description: [
    'Goes back to the last good release (or the one named) through the health-gated rolling switch,',
    'without canary steps or analysis (that release proved itself once), with the instance specs recorded',
    "when it was deployed (not today's cutover.yml). Pre-deploy checks run as for deploy. It runs in the",
    'controller like "cutover deploy" and is followed live; Ctrl-C leaves it running.',
  ].join('\n'),
  options: {
    detach: { type: 'boolean', help: 'return as soon as the controller accepted the rollback' },
    'skip-check': { type: 'string', multiple: true, help: 'skip a pre-deploy check by name (needs --reason; recorded)' },
    reason: { type: 'string', help: 'why the checks are skipped (kept in the record)' },
    ...TARGET_OPTION,
  },
  exitCodes: { ...EXIT_DEPLOY, ...EXIT_DETACHED },
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    if (targetsKubernetes(loaded, options)) return k8sRollback(out, loaded, args[0]);
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
    return submitAndFollow(out, loaded, { release: target, kind: 'rollback', skipChecks, detach: Boolean(options.detach) });
  },
};
