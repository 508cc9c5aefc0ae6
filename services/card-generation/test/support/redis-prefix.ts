import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.CARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface RedisPrefix {
  /** `cg-test:<label>:<random>:` */
  prefix: string;
  redis: Redis;
  /** Deletes every key of the prefix (the queue's hash-tagged ones included) and closes the connection. */
  cleanup(): Promise<void>;
}

export function redisPrefix(label: string): RedisPrefix {
  const prefix = `cg-test:${label}:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
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
