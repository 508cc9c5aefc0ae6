import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.PAYMENT_SYSTEM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** A key prefix of one test (`ps-test:<random>:`) and a way to delete everything under it. */
export function redisPrefix(label: string): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `ps-test:${label}:${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
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
