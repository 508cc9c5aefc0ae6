import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RedisPrefix {
  /** `<namespace>-test:<label>:<random>:` */
  prefix: string;
  /** A connection for the test's own inspection. */
  redis: Redis;
  /** Deletes every key of the prefix (hash-tagged `{<prefix>...}` keys included) and closes the connection. */
  cleanup(): Promise<void>;
}

/**
 * A Redis key prefix of one test, on the shared server, and a way to delete everything under it:
 * tests of different files never see each other's keys, and nothing is flushed.
 */
export function redisPrefix(label: string, options: { namespace: string; url?: string }): RedisPrefix {
  const prefix = `${options.namespace}-test:${label}:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(options.url ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return {
    prefix,
    redis,
    async cleanup() {
      try {
        for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            if (keys.length > 0) await redis.del(...keys);
            cursor = next;
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
      }
    },
  };
}
