import type { LoadedConfig } from '../config/load-config.ts';

/** An env var as the service would see it: cutover.yml env and env files first, then cutover's own environment. */
export function lookupEnv(loaded: LoadedConfig, name: string): string | undefined {
  const value = loaded.env[name] ?? process.env[name];
  return value === '' ? undefined : value;
}
