// Redis single or cluster, as the guide configures it: REDIS_CLUSTER_ENABLED=true with
// REDIS_CLUSTER_NODES=host:port,... gives an ioredis Cluster, otherwise REDIS_URL. Callers use the
// common command surface of both; BullMQ accepts either.
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { CardConfig } from '../card-config.ts';

export type RedisClient = Redis | Cluster;
type RedisConfig = Pick<CardConfig, 'REDIS_URL' | 'REDIS_CLUSTER_ENABLED' | 'REDIS_CLUSTER_NODES'>;

export function createRedis(config: RedisConfig, name: string, options: RedisOptions = {}): RedisClient {
  const base: RedisOptions = { connectionName: name, maxRetriesPerRequest: 2, ...options };
  if (config.REDIS_CLUSTER_ENABLED) {
    const clusterOptions: ClusterOptions = {
      redisOptions: base,
      // Fail fast on the producer side too: an offline queue would hold requests while the cluster is away.
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      ...(options.lazyConnect ? { lazyConnect: true } : {}),
      ...(options.maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest: options.maxRetriesPerRequest } : {}),
    };
    return new Cluster(config.REDIS_CLUSTER_NODES, clusterOptions);
  }
  return new Redis(config.REDIS_URL, base);
}

/** Every Redis key and channel of the service, under REDIS_KEY_PREFIX. */
export interface RedisKeys {
  /** BullMQ prefix: one hash tag, so all of a queue's keys sit in one cluster slot (BullMQ's Lua scripts need that). */
  queuePrefix: string;
  cache(namespace: string, key: string): string;
  cacheInvalidationChannel: string;
  jobProgressChannel: string;
}

export function buildRedisKeys(prefix: string): RedisKeys {
  return {
    queuePrefix: `{${prefix}card-generation}`,
    cache: (namespace, key) => `${prefix}cg:cache:${namespace}:${key}`,
    cacheInvalidationChannel: `${prefix}cg:cache:invalidate`,
    jobProgressChannel: `${prefix}cg:job-progress`,
  };
}
