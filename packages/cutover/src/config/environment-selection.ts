import { AsyncLocalStorage } from 'node:async_hooks';

/** The environment a CLI command was given with --env, for every config it loads. */
const selected = new AsyncLocalStorage<string | undefined>();

/** Runs `fn` (one CLI command) with `--env`'s value as the environment every loadConfig call in it uses. */
export function runInEnvironment<T>(name: string | undefined, fn: () => T): T {
  return selected.run(name, fn);
}

/** The environment asked for and where it was asked: --env first, then CUTOVER_ENV; none is the base config alone. */
export function selectedEnvironment(): { name: string; from: string } | undefined {
  const flag = selected.getStore();
  if (flag !== undefined) return { name: flag, from: '--env' };
  const variable = process.env.CUTOVER_ENV;
  if (variable) return { name: variable, from: 'CUTOVER_ENV' };
  return undefined;
}
