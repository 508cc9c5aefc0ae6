import type { CheckOutcome } from '../checks/check-result.ts';
import { probePostgres } from '../checks/postgres-probe.ts';
import { DEFAULT_REDIS_PORT, parseRedisUrl, probeRedis } from '../checks/redis-probe.ts';
import { probeTcp } from '../checks/tcp-probe.ts';
import type { LoadedConfig } from '../config/load-config.ts';
import { lookupEnv } from '../config/lookup-env.ts';
import type { AccessoryConfig } from '../config/schema-checks.ts';
import { DEFAULT_PG_PORT } from '../database/backup/pg-target.ts';
import { CutoverError } from '../errors/cutover-error.ts';
import { accessoryDir, readAccessoryState } from './accessory-state.ts';
import { startPrivatePostgres } from './private-postgres.ts';
import { startPrivateRedis } from './private-redis.ts';

export interface AccessoryStatus {
  name: string;
  kind: 'postgres' | 'redis';
  /** What the service should connect to (includes the password of a private server). */
  url: string;
  /** True when this call started a server. */
  started: boolean;
  /** True when the server is a private one cutover runs from `<dataDir>/accessories/<name>`. */
  private: boolean;
  /** The env var the service reads the URL from, when declared. */
  env?: string;
}

export interface EnsureAccessoriesOptions {
  log?: (message: string) => void;
}

/** How long the declared server gets to accept a TCP connection before it counts as absent. */
export const ACCESSORY_REACH_TIMEOUT_MS = 2_000;
const ACCESSORY_CHECK_TIMEOUT_MS = 5_000;

/**
 * For each accessory: use the declared server when it answers; when nothing listens there (or none
 * is declared), reuse or start a private one from local binaries. A declared server that listens but
 * fails its check (bad password, wrong protocol) is an error: starting another server would hide it.
 */
export async function ensureAccessories(loaded: LoadedConfig, options: EnsureAccessoriesOptions = {}): Promise<AccessoryStatus[]> {
  const statuses: AccessoryStatus[] = [];
  for (const [name, config] of Object.entries(loaded.config.accessories ?? {})) {
    statuses.push(await ensureOne(loaded, name, config, options.log ?? (() => {})));
  }
  return statuses;
}

async function ensureOne(
  loaded: LoadedConfig,
  name: string,
  config: AccessoryConfig,
  log: (message: string) => void,
): Promise<AccessoryStatus> {
  const base = { name, kind: config.kind, ...(config.env === undefined ? {} : { env: config.env }) };
  const declared = declaredServer(loaded, config);
  if (declared !== undefined) {
    const reach = await probeTcp(declared.host, declared.port, ACCESSORY_REACH_TIMEOUT_MS);
    if (reach.outcome === 'pass') {
      const check = await checkServer(config.kind, declared.url);
      if (check.outcome !== 'pass') {
        throw new CutoverError(
          'CUT_ERR_ACCESSORY_UNHEALTHY',
          `accessory "${name}" listens on ${declared.host}:${declared.port} but fails its check: ${check.message}`,
          {
            where: `accessories.${name}`,
            hint: 'fix the URL (user, password, database) or the server; cutover does not start a second one next to a broken one',
          },
        );
      }
      return { ...base, url: declared.url, started: false, private: false };
    }
    if (!config.start) {
      throw new CutoverError('CUT_ERR_ACCESSORY_UNREACHABLE', `accessory "${name}" is unreachable: ${reach.message}`, {
        where: `accessories.${name}`,
        hint: 'start that server, or set start: true to let cutover run a private one',
      });
    }
    log(`accessory "${name}": nothing answers on ${declared.host}:${declared.port}; using a private ${config.kind}`);
  }
  const dir = accessoryDir(loaded, name);
  const state = await readAccessoryState(dir);
  if (state !== undefined && (await checkServer(state.kind, state.url)).outcome === 'pass') {
    return { ...base, url: state.url, started: false, private: true };
  }
  const started =
    config.kind === 'postgres'
      ? await startPrivatePostgres({
          name,
          dir,
          database: config.database ?? defaultDatabase(loaded.config.service),
          startTimeoutMs: config.startTimeoutMs,
          log,
        })
      : await startPrivateRedis({ name, dir, startTimeoutMs: config.startTimeoutMs, log });
  return { ...base, url: started.url, started: true, private: true };
}

/** The service name as a database name: dashes are awkward in SQL identifiers. */
export function defaultDatabase(service: string): string {
  return service.replace(/-/g, '_');
}

interface DeclaredServer {
  url: string;
  host: string;
  port: number;
}

/** The declared server's URL and address, from url, urlEnv, or host/port; undefined when none is declared. */
export function declaredServer(loaded: LoadedConfig, config: AccessoryConfig): DeclaredServer | undefined {
  const url = config.url ?? (config.urlEnv === undefined ? undefined : lookupEnv(loaded, config.urlEnv));
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CutoverError('CUT_ERR_ACCESSORY_UNREACHABLE', `accessory URL is not a URL: ${url.replace(/:[^:@/]*@/, ':***@')}`, {
        hint: config.kind === 'postgres' ? 'use postgres://user:password@host:5432/database' : 'use redis://:password@host:6379',
      });
    }
    const fallbackPort = config.kind === 'postgres' ? DEFAULT_PG_PORT : DEFAULT_REDIS_PORT;
    return {
      url,
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : fallbackPort,
    };
  }
  if (config.host === undefined && config.port === undefined) return undefined;
  const host = config.host ?? '127.0.0.1';
  if (config.kind === 'redis') {
    const port = config.port ?? DEFAULT_REDIS_PORT;
    return { url: `redis://${host}:${port}`, host, port };
  }
  const port = config.port ?? DEFAULT_PG_PORT;
  return { url: `postgres://postgres@${host}:${port}/${config.database ?? defaultDatabase(loaded.config.service)}`, host, port };
}

function checkServer(kind: 'postgres' | 'redis', url: string): Promise<CheckOutcome> {
  if (kind === 'postgres') return probePostgres(url, ACCESSORY_CHECK_TIMEOUT_MS);
  try {
    return probeRedis(parseRedisUrl(url), ACCESSORY_CHECK_TIMEOUT_MS);
  } catch (error) {
    return Promise.resolve({ outcome: 'fail', message: (error as Error).message });
  }
}
