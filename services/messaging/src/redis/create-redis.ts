import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { MessagingConfig } from '../messaging-config.ts';

/** One Redis or a Redis Cluster: callers use the command surface both share. */
export type RedisClient = Redis | Cluster;

type RedisConfig = Pick<
  MessagingConfig,
  'REDIS_URL' | 'REDIS_HOST' | 'REDIS_PORT' | 'REDIS_PASSWORD' | 'REDIS_STREAM_DB' | 'REDIS_CLUSTER_ENABLED' | 'REDIS_CLUSTER_NODES'
>;

/** What a connection may override: the options both kinds of client understand. */
export type RedisClientOptions = Pick<RedisOptions, 'connectionName' | 'enableOfflineQueue' | 'lazyConnect' | 'maxRetriesPerRequest'>;

/**
 * A Redis connection from the environment: with REDIS_CLUSTER_ENABLED an ioredis Cluster over
 * REDIS_CLUSTER_NODES (REDIS_PASSWORD applies to every node); otherwise REDIS_URL when set, else
 * the guide's REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and REDIS_STREAM_DB. `name` shows in CLIENT LIST.
 */
export function createRedis(config: RedisConfig, name: string, options: RedisClientOptions = {}): RedisClient {
  // RESP2: stream replies keep their documented nested-array shapes (RESP3 turns XREADGROUP's reply into a map).
  const base: RedisOptions = { connectionName: name, maxRetriesPerRequest: 2, protocol: 2, ...options };
  if (config.REDIS_CLUSTER_ENABLED) {
    const { enableOfflineQueue, lazyConnect, ...redisOptions } = base;
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...redisOptions, ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}) },
      ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
      ...(lazyConnect ? { lazyConnect } : {}),
    };
    return new Cluster(config.REDIS_CLUSTER_NODES, clusterOptions);
  }
  if (config.REDIS_URL) return new Redis(config.REDIS_URL, base);
  return new Redis({
    host: config.REDIS_HOST,
    port: config.REDIS_PORT,
    db: config.REDIS_STREAM_DB,
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
    ...base,
  });
}

/**
 * A second connection like `redis` (a blocking XREADGROUP must not hold up the shared one): on a
 * cluster a new Cluster client over the same nodes, whose node connections carry `overrides`.
 */
export function duplicateRedis(redis: RedisClient, overrides: RedisClientOptions): RedisClient {
  if (redis instanceof Cluster) {
    return redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, ...overrides } });
  }
  return redis.duplicate(overrides);
}

/** A RESP2 field/value array (XINFO, stream entries) as an object. */
export function flatToObject(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** True for Redis's "the group already exists" answer to XGROUP CREATE. */
export function isBusyGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('BUSYGROUP');
}
