import { resolveSecrets } from '../../agent/supervisor/resolve-secrets.ts';
import { CutoverError } from '../../errors/cutover-error.ts';
import type { DeploymentRun } from '../deployment-run.ts';

/**
 * The environment the deployment's own commands run with (hooks, command checks, migrations,
 * validation's load command): the release's env as its routed instances get it (cutover.yml's env
 * and envFiles, the accessories' URLs, the process type's env), with its `secrets:` read at each
 * call the way the agent reads them when it spawns an instance. The values stay in this process's
 * memory: nothing records, logs or writes them. Before the release is planned: cutover.yml's env.
 */
export function releaseCommandEnv(run: DeploymentRun): () => Promise<Record<string, string>> {
  return async () => {
    const plan = run.plan;
    const chosen = plan?.processes.find((p) => p.routed) ?? plan?.processes[0];
    if (!chosen) return { ...run.loaded.env };
    const env = { ...chosen.template.env };
    const secrets = await resolveSecrets(chosen.template.secrets, env);
    if (!secrets.ok)
      throw new CutoverError('CUT_ERR_DEPLOY_SECRET_UNREADABLE', `${secrets.failure} (needed by a command of the deployment)`, {
        where: `${run.loaded.file}: secrets`,
        hint: 'make the file readable or the command work for the user cutover runs as; the instances need it too',
      });
    return { ...env, ...secrets.env };
  };
}

/** Every secret value of `env` (for redacting the output of commands that might print one). */
export function secretValues(run: DeploymentRun, env: Readonly<Record<string, string>>): string[] {
  const chosen = run.plan?.processes.find((p) => p.routed) ?? run.plan?.processes[0];
  return Object.keys(chosen?.template.secrets ?? {})
    .map((name) => env[name])
    .filter((value): value is string => typeof value === 'string' && value.length >= 4);
}
