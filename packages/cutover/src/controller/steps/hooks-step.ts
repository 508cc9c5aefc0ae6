import type { ParsedConfig } from '../../config/schema.ts';
import { isCutoverError } from '../../errors/cutover-error.ts';
import type { StepResult } from '../../pipeline/pipeline-step.ts';
import { LOCK_OWNER_ENV } from '../deploy-lock.ts';
import type { DeploymentRun } from '../deployment-run.ts';
import { runHooks } from '../hook-runner.ts';
import { releaseCommandEnv, secretValues } from './release-command-env.ts';

export type HookName = Exclude<keyof ParsedConfig['hooks'], 'timeoutMs'>;

/** The facts every hook receives in its environment. */
export function buildHookEnv(run: DeploymentRun): Record<string, string> {
  const { loaded, request } = run;
  return {
    CUTOVER_SERVICE: run.service,
    CUTOVER_RELEASE: request.release,
    CUTOVER_PREVIOUS_RELEASE: run.previous?.release ?? '',
    CUTOVER_DEPLOYMENT_ID: String(run.deploymentId),
    CUTOVER_KIND: request.kind,
    CUTOVER_CONFIG: loaded.file,
    // The deployment's environment (empty: the base file alone), so a cutover command in a hook acts on it.
    CUTOVER_ENV: loaded.environment?.name ?? '',
    CUTOVER_PROXY_URL: `http://127.0.0.1:${loaded.config.agent.httpPort}${loaded.config.proxy.pathPrefix}`,
    [LOCK_OWNER_ENV]: run.lockOwner,
  };
}

/**
 * Step "<name> hooks": the hook commands of one point of the pipeline, in order; the first failure
 * stops them. Hooks run with the release's env and its secrets (read when the step starts, in
 * memory only; a secret value a hook prints is redacted from the record), then the facts above.
 */
export function hooksStep(run: DeploymentRun, name: HookName): Promise<StepResult> {
  const { loaded, recorder } = run;
  const list = loaded.config.hooks[name];
  return recorder.step(
    `${name} hooks`,
    async () => {
      if (list.length === 0) return runHooks(list, { cwd: loaded.root, env: {}, timeoutMs: loaded.config.hooks.timeoutMs });
      let releaseEnv: Record<string, string>;
      try {
        releaseEnv = await releaseCommandEnv(run)();
      } catch (error) {
        if (!isCutoverError(error)) throw error;
        return { outcome: 'failed', values: { hooks: [], error: error.toJSON() }, reason: error.message };
      }
      const secrets = secretValues(run, releaseEnv);
      return runHooks(list, {
        cwd: loaded.root,
        env: { ...releaseEnv, ...buildHookEnv(run), CUTOVER_HOOK: name },
        timeoutMs: loaded.config.hooks.timeoutMs,
        onLine: (line) => recorder.event('hook:output', { hook: name, line }),
        redact: (text) => secrets.reduce((out, value) => out.split(value).join('[secret]'), text),
      });
    },
    { once: true },
  );
}
