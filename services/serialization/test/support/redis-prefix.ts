import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.SERIALIZATION_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface RedisPrefix {
  /** `ser-test:<label>:<random>:` */
  prefix: string;
  /** A connection for the test's own inspection. */
  redis: Redis;
  /** Deletes every key under the prefix and closes the connection. */
  cleanup(): Promise<void>;
}

export function redisPrefix(label: string): RedisPrefix {
  const prefix = `ser-test:${label}:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return {
    prefix,
    redis,
    async cleanup() {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
