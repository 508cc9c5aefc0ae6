import type { Redis } from 'ioredis';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { scopeKey } from './serial-registry.ts';

/**
 * A short Redis cache of "this value is taken in this scope", in front of the database check of
 * GET /uniqueness/check. Only "taken" is cached (a serial never becomes free again except by a
 * retirement, which deletes the key); "free" always asks the database, and registrations never
 * read the cache at all: the database is the authority. Redis being down only costs the shortcut.
 */
export interface UniquenessCache {
  isTaken(scope: UniquenessScope, partId: string, vendorKey: string | null, normalized: string): Promise<boolean>;
  markTaken(scope: UniquenessScope, partId: string, vendorKey: string | null, normalized: string): Promise<void>;
  forget(scope: UniquenessScope, partId: string, vendorKey: string | null, normalized: string): Promise<void>;
}

export function createUniquenessCache(redis: Redis, options: { ttlSeconds: number; keyPrefix: string }): UniquenessCache {
  const key = (scope: UniquenessScope, partId: string, vendorKey: string | null, normalized: string) =>
    `${options.keyPrefix}uniq:${scope}:${scopeKey(scope, partId, vendorKey)}:${normalized}`;
  return {
    async isTaken(...args) {
      try {
        return (await redis.get(key(...args))) === '1';
      } catch {
        return false;
      }
    },
    async markTaken(...args) {
      await redis.set(key(...args), '1', 'EX', options.ttlSeconds).catch(() => undefined);
    },
    async forget(...args) {
      await redis.del(key(...args)).catch(() => undefined);
    },
  };
}
