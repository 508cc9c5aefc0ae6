// The guide's multi-tier cache: L1 an in-process LRU (MULTI_TIER_CACHE_LOCAL_SIZE entries,
// MULTI_TIER_CACHE_LOCAL_TTL), L2 Redis (MULTI_TIER_CACHE_REMOTE_TTL_MS), then the loader (PostgreSQL).
// `invalidate` deletes the Redis entry and publishes the key; every instance's subscriber drops it
// from its L1, so a revoked card is not served stale by another instance. A cache is never an
// authority for uniqueness: it only saves reads of rows that exist.
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { RedisClient, RedisKeys } from '../redis/create-redis.ts';

export interface TwoTierCacheOptions {
  namespace: string;
  redis: RedisClient;
  keys: RedisKeys;
  localSize: number;
  localTtlMs: number;
  remoteTtlMs: number;
  /** cache_requests_total{cache, tier, outcome}. */
  requests?: Counter<'cache' | 'tier' | 'outcome'>;
  onError?: (error: unknown) => void;
}

export class TwoTierCache<T extends object> {
  private readonly local: LRUCache<string, T> | undefined;
  private readonly options: TwoTierCacheOptions;

  constructor(options: TwoTierCacheOptions) {
    this.options = options;
    this.local = options.localSize > 0 ? new LRUCache<string, T>({ max: options.localSize, ttl: options.localTtlMs }) : undefined;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  private count(tier: 'local' | 'redis', outcome: 'hit' | 'miss' | 'error'): void {
    this.options.requests?.inc({ cache: this.options.namespace, tier, outcome });
  }

  /** The cached value, else `load()`'s (stored in both tiers unless undefined). Redis errors fall through to the loader. */
  async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = this.local?.get(key);
    if (hit !== undefined) {
      this.count('local', 'hit');
      return hit;
    }
    if (this.local) this.count('local', 'miss');
    const redisKey = this.options.keys.cache(this.options.namespace, key);
    try {
      const raw = await this.options.redis.get(redisKey);
      if (raw !== null) {
        this.count('redis', 'hit');
        const value = JSON.parse(raw) as T;
        this.local?.set(key, value);
        return value;
      }
      this.count('redis', 'miss');
    } catch (error) {
      this.count('redis', 'error');
      this.options.onError?.(error);
    }
    const value = await load();
    if (value !== undefined) await this.set(key, value);
    return value;
  }

  async set(key: string, value: T): Promise<void> {
    this.local?.set(key, value);
    try {
      await this.options.redis.set(
        this.options.keys.cache(this.options.namespace, key),
        JSON.stringify(value),
        'PX',
        this.options.remoteTtlMs,
      );
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Drops the key here, in Redis, and (through the invalidation channel) in every other instance's L1. */
  async invalidate(key: string): Promise<void> {
    this.local?.delete(key);
    await this.options.redis.del(this.options.keys.cache(this.options.namespace, key));
    await this.options.redis.publish(
      this.options.keys.cacheInvalidationChannel,
      JSON.stringify({ namespace: this.options.namespace, key }),
    );
  }

  /** Applies an invalidation message received from the channel. */
  dropLocal(key: string): void {
    this.local?.delete(key);
  }

  localSize(): number {
    return this.local?.size ?? 0;
  }
}

/**
 * Subscribes (on its own connection) to the invalidation channel and drops keys from the L1 of the
 * matching cache. Returns a function that unsubscribes and closes the connection.
 */
export async function subscribeInvalidations(
  subscriber: RedisClient,
  keys: RedisKeys,
  caches: readonly TwoTierCache<object>[],
): Promise<() => Promise<void>> {
  const byNamespace = new Map(caches.map((c) => [c.namespace, c]));
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.cacheInvalidationChannel) return;
    try {
      const { namespace, key } = JSON.parse(message) as { namespace: string; key: string };
      byNamespace.get(namespace)?.dropLocal(key);
    } catch {
      // not one of ours
    }
  });
  await subscriber.subscribe(keys.cacheInvalidationChannel);
  return async () => {
    await subscriber.quit().catch(() => subscriber.disconnect());
  };
}
