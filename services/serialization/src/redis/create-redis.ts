import { Redis } from 'ioredis';

/**
 * The Redis client of REDIS_URL; REDIS_DB picks the database when the URL names none (the
 * guide's per-instance REDIS_DB), REDIS_PASSWORD when the URL carries none. Commands fail fast
 * while Redis is away (the cache is a shortcut, never needed to answer).
 */
export function createRedis(options: { url: string; db: number; password: string }): Redis {
  const url = new URL(options.url);
  const hasDb = url.pathname.length > 1;
  return new Redis(options.url, {
    ...(hasDb ? {} : { db: options.db }),
    ...(url.password === '' && options.password !== '' ? { password: options.password } : {}),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    lazyConnect: false,
  });
}
