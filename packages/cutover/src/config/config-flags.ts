import type { LoadedConfig } from './load-config.ts';

/** The flags that load this config again: --config (unless ./cutover.yml) and --env (when an environment was chosen). */
export function configFlags(loaded: Pick<LoadedConfig, 'file' | 'environment'>, cwd = process.cwd()): string[] {
  const flags = loaded.file === `${cwd}/cutover.yml` ? [] : ['--config', loaded.file];
  if (loaded.environment) flags.push('--env', loaded.environment.name);
  return flags;
}

/** configFlags for a command line shown to a user: " --config X --env staging", or "" (quoted when needed). */
export function configFlagsText(loaded: Pick<LoadedConfig, 'file' | 'environment'>, cwd = process.cwd()): string {
  return configFlags(loaded, cwd)
    .map((flag) => ` ${/^[\w./=-]+$/.test(flag) ? flag : `'${flag.replace(/'/g, `'\\''`)}'`}`)
    .join('');
}
