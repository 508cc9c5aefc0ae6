import { redisPrefix as kitRedisPrefix, type RedisPrefix } from '@cutover/service-kit/testing';

export type { RedisPrefix };

export const TEST_REDIS_URL = process.env.MESSAGING_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Keys of one test: `msg-test:<label>:<random>:`. */
export const redisPrefix = (label: string): RedisPrefix => kitRedisPrefix(label, { namespace: 'msg', url: TEST_REDIS_URL });
