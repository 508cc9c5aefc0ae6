import type { LoadedConfig } from '../config/load-config.ts';
import { lookupEnv } from '../config/lookup-env.ts';
import type { CheckSpec } from '../config/schema-checks.ts';
import { backupDir, listManifests } from '../database/backup/backup-manifest.ts';
import { describeExit, runProcess } from '../shared/run-process.ts';
import { type CheckOutcome, fail, pass } from './check-result.ts';
import { probeHttp } from './http-probe.ts';
import { probePostgres } from './postgres-probe.ts';
import { DEFAULT_REDIS_PORT, parseRedisUrl, probeRedis, type RedisAddress } from './redis-probe.ts';
import { probeDisk, probeLoad, probeMemory } from './system-probes.ts';
import { probeTcp } from './tcp-probe.ts';

/** Checks only the caller can evaluate: the agent knows release health, the controller the lock. */
export interface CheckProbes {
  currentReleaseHealthy?: () => Promise<CheckOutcome>;
  deployLockFree?: () => Promise<CheckOutcome>;
}

export interface CheckEnvironment {
  loaded: LoadedConfig;
  probes?: CheckProbes;
  /** A probe kind without a probe function: fail (default; the pipeline must supply it) or skip (by hand). */
  missingProbe?: 'fail' | 'skip';
  signal?: AbortSignal;
  /**
   * In a deployment: the release's env with its secrets (see StepContext.commandEnv). A command check
   * runs with it, and a postgres or redis check's urlEnv is looked up in it when neither cutover's
   * environment nor cutover.yml's env has the variable (a DATABASE_URL kept in `secrets:`).
   */
  commandEnv?: () => Promise<Record<string, string>>;
}

/** Evaluates one check. Expected failures are outcomes; a thrown error means a bug or an I/O fault. */
export async function evaluateCheck(spec: CheckSpec, env: CheckEnvironment): Promise<CheckOutcome> {
  const { loaded } = env;
  switch (spec.kind) {
    case 'disk':
      return probeDisk(spec.path ?? loaded.dataDir, spec.minFreeBytes, spec.minFreePercent);
    case 'load':
      return probeLoad(spec.maxLoadPerCore);
    case 'memory':
      return probeMemory(spec.minAvailableBytes);
    case 'postgres': {
      const url = spec.url ?? (await lookupWithSecrets(env, spec.urlEnv ?? ''));
      if (url === undefined) return fail(`${spec.urlEnv} is not set, so there is no PostgreSQL URL to check`);
      return probePostgres(url, spec.timeoutMs);
    }
    case 'redis': {
      const address = redisAddress(spec, spec.urlEnv === undefined ? undefined : await lookupWithSecrets(env, spec.urlEnv));
      if (typeof address === 'string') return fail(address);
      return probeRedis(address, spec.timeoutMs);
    }
    case 'tcp':
      return probeTcp(spec.host, spec.port, spec.timeoutMs, env.signal);
    case 'http':
      return probeHttp(spec);
    case 'backup-age':
      return checkBackupAge(loaded, spec.maxAgeMs, spec.requireVerified);
    case 'command':
      return runCommandCheck(spec.command, spec.timeoutMs, loaded, env);
    case 'current-release-healthy':
      return runProbe(env.probes?.currentReleaseHealthy, spec.kind, env.missingProbe ?? 'fail');
    case 'deploy-lock-free':
      return runProbe(env.probes?.deployLockFree, spec.kind, env.missingProbe ?? 'fail');
  }
}

/** An env var for a check: cutover's environment, then cutover.yml's env, then the release's env and secrets. */
async function lookupWithSecrets(env: CheckEnvironment, name: string): Promise<string | undefined> {
  const found = lookupEnv(env.loaded, name);
  if (found !== undefined || !env.commandEnv || name === '') return found;
  const value = (await env.commandEnv())[name];
  return value === '' ? undefined : value;
}

function redisAddress(spec: Extract<CheckSpec, { kind: 'redis' }>, fromEnv: string | undefined): RedisAddress | string {
  const url = spec.url ?? fromEnv;
  if (url !== undefined) {
    try {
      return parseRedisUrl(url);
    } catch (error) {
      return (error as Error).message;
    }
  }
  if (spec.host !== undefined) return { host: spec.host, port: spec.port ?? DEFAULT_REDIS_PORT, tls: false };
  return `${spec.urlEnv} is not set, so there is no Redis URL to check`;
}

async function checkBackupAge(loaded: LoadedConfig, maxAgeMs: number, requireVerified: boolean): Promise<CheckOutcome> {
  const dir = backupDir(loaded);
  const manifests = await listManifests(dir);
  const newest = manifests.find((m) => !requireVerified || m.verified === true);
  const threshold = { maxAgeMs, requireVerified };
  if (newest === undefined) {
    return fail(
      `no ${requireVerified ? 'verified ' : ''}backup of ${loaded.config.service} in ${dir}; run "cutover db backup"`,
      null,
      threshold,
    );
  }
  const ageMs = Date.now() - Date.parse(newest.created);
  const measured = { backupId: newest.id, ageMs, verified: newest.verified };
  const text = `newest ${requireVerified ? 'verified ' : ''}backup ${newest.id} is ${Math.round(ageMs / 60_000)} minutes old`;
  return ageMs > maxAgeMs
    ? fail(`${text}, older than ${Math.round(maxAgeMs / 60_000)} minutes; run "cutover db backup"`, measured, threshold)
    : pass(text, measured, threshold);
}

async function runCommandCheck(command: string, timeoutMs: number, loaded: LoadedConfig, env: CheckEnvironment): Promise<CheckOutcome> {
  // In a deployment the command gets the release's env and secrets (read now, in memory only).
  const release = env.commandEnv ? await env.commandEnv() : {};
  const result = await runProcess('sh', ['-c', command], {
    cwd: loaded.root,
    env: { ...process.env, ...loaded.env, ...release },
    timeoutMs,
    signal: env.signal,
  });
  const measured = { exitCode: result.exitCode, durationMs: result.durationMs };
  if (result.exitCode === 0) return pass(`"${command}" exited 0`, measured, { exitCode: 0 });
  return fail(`"${command}" ${describeExit(result, timeoutMs)}`, measured, { exitCode: 0 });
}

async function runProbe(probe: (() => Promise<CheckOutcome>) | undefined, kind: string, missing: 'fail' | 'skip'): Promise<CheckOutcome> {
  if (probe !== undefined) return probe();
  const why = `${kind} is evaluated by the deployment pipeline (it asks the agent and the deploy lock)`;
  return missing === 'skip' ? { outcome: 'skipped', message: `${why}; not available here` } : fail(`${why}, but no probe was supplied`);
}
