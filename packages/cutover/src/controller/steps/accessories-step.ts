import type { LoadedConfig } from '../../config/load-config.ts';
import type { StepResult } from '../../pipeline/pipeline-step.ts';
import type { DeploymentRecorder } from '../deployment-recorder.ts';

/**
 * Step "accessories": the databases and caches the service declares are running (started when
 * cutover runs them). Returns the env their URLs reach the instances and the data steps through.
 */
export async function accessoriesStep(
  loaded: LoadedConfig,
  recorder: DeploymentRecorder,
): Promise<{ result: StepResult; env: Record<string, string> }> {
  const env: Record<string, string> = {};
  const result = await recorder.step('accessories', async () => {
    if (!loaded.config.accessories) return { outcome: 'skipped', values: {}, reason: 'cutover.yml declares no accessories' };
    const { ensureAccessories } = await import('../../accessories/ensure-accessories.ts');
    const statuses = await ensureAccessories(loaded, { log: (line) => recorder.event('step:log', { message: line }) });
    for (const status of statuses) if (status.env) env[status.env] = status.url;
    return { outcome: 'ok', values: { accessories: statuses.map(({ url: _url, ...rest }) => rest) } };
  });
  return { result, env };
}

/** The config with extra env (accessory URLs) layered over its own, for the instances and the data steps. */
export function withEnv(loaded: LoadedConfig, extra: Record<string, string>): LoadedConfig {
  if (Object.keys(extra).length === 0) return loaded;
  return Object.freeze({ ...loaded, env: Object.freeze({ ...loaded.env, ...extra }) });
}
