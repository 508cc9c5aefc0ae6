import type { LoadedConfig } from './load-config.ts';

/**
 * An env var by name: cutover's own environment first (an operator's override), then the service
 * env from cutover.yml (env: and envFiles). Same order as the migrations runner, so a backup and a
 * migration never read two different databases from one setting.
 */
export function lookupEnv(loaded: LoadedConfig, name: string): string | undefined {
  const value = process.env[name] || loaded.env[name];
  return value === '' ? undefined : value;
}
