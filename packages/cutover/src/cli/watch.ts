import { agentPaths } from '../agent/agent-paths.ts';
import { loadConfig } from '../config/load-config.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { DeploymentStore } from '../store/deployment-store.ts';
import { type Command, EXIT_DETACHED } from './command.ts';
import { followDeployment } from './follow-deployment.ts';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow a deployment (the running one, or the id given) and exit with its exit code',
  usage: 'cutover watch [id]',
  description: [
    'Attaches to a deployment that runs in the controller (started by "cutover deploy" here or',
    'elsewhere, detached or not), replays its steps so far, follows it live and ends when it ends.',
    'Without an id: the running deployment of this service, else its latest one.',
  ].join('\n'),
  exitCodes: {
    1: 'the deployment failed, was rolled back or was interrupted',
    3: 'the agent or the controller is not running',
    5: 'no such deployment is recorded',
    ...EXIT_DETACHED,
  },
  async run({ args, options, out, cwd }) {
    const loaded = loadConfig(cwd, options.config as string | undefined);
    const service = loaded.config.service;
    let id = args[0] === undefined ? undefined : Number(args[0]);
    if (id !== undefined && !Number.isInteger(id)) {
      throw new CutoverError('CUT_ERR_CLI_BAD_ARGUMENT', `"${args[0]}" is not a deployment id`, { hint: '"cutover history" lists them' });
    }
    if (id === undefined) {
      const store = new DeploymentStore(agentPaths(loaded.dataDir).deploymentsDb);
      try {
        id = (store.runningDeployments(service).at(-1) ?? store.deployments(service, 1)[0])?.id;
      } finally {
        store.close();
      }
      if (id === undefined) {
        throw new CutoverError('CUT_ERR_DEPLOY_NOT_FOUND', `no deployment of ${service} is recorded`, {
          hint: 'start one with "cutover deploy <release>"',
        });
      }
    }
    return followDeployment(out, loaded, id);
  },
};
