import { redisPrefix as kitRedisPrefix, type RedisPrefix } from '@cutover/service-kit/testing';

export type { RedisPrefix };

export const TEST_REDIS_URL = process.env.CARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Keys of one test: `cg-test:<label>:<random>:`. */
export const redisPrefix = (label: string): RedisPrefix => kitRedisPrefix(label, { namespace: 'cg', url: TEST_REDIS_URL });
