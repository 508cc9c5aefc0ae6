import { createIdempotencyStore, createService, postgresCheck, redisCheck, type Service } from '@cutover/service-kit';
import pg from 'pg';
import { Gauge } from 'prom-client';
import { subscribeInvalidations, TwoTierCache } from './cache/two-tier-cache.ts';
import type { CardConfig } from './card-config.ts';
import { type CardMetrics, createCardMetrics } from './card-metrics.ts';
import { CardIssuer } from './cards/card-issuer.ts';
import { deriveCardKeys } from './cards/card-keys.ts';
import { CardMinter } from './cards/card-minter.ts';
import { createBulkQueue } from './jobs/bulk-queue.ts';
import { registerJobRoutes } from './jobs/job-routes.ts';
import { attachProgressSocket, progressPublisher } from './jobs/progress-socket.ts';
import { buildRedisKeys, createRedis, type RedisClient } from './redis/create-redis.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerBinRoutes } from './routes/bin-routes.ts';
import { registerCardRoutes } from './routes/card-routes.ts';
import { syncBins } from './store/bin-store.ts';
import type { StoredCard } from './store/card-store.ts';
import { CounterAllocator } from './store/counter-allocator.ts';

export const CARD_SERVICE_NAME = 'card-generation';
export const CARD_SERVICE_VERSION = '1.0.0';

export interface ServiceOptions {
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Handle SIGTERM/SIGINT; default true (tests running several services in one process pass false). */
  handleSignals?: boolean;
}

export interface ApiService {
  service: Service;
  metrics: CardMetrics;
  pool: pg.Pool;
  redis: RedisClient;
}

/** Sets `service` and (when known) `release` on every series. */
export function labelMetrics(service: Service, config: CardConfig): void {
  service.metrics.registry.setDefaultLabels({
    service: CARD_SERVICE_NAME,
    ...(config.CUTOVER_RELEASE ? { release: config.CUTOVER_RELEASE } : {}),
  });
}

/** Connects a client and waits for it (a Cluster included), so a bad address fails start-up. */
export async function connectRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'wait') await redis.connect();
  await redis.ping();
}

/**
 * The api process: synchronous cards, validation, BINs, bulk jobs (enqueue, state, cancel) and their
 * progress over WebSocket. Writes the configured BINs before it listens.
 */
export async function buildApiService(config: CardConfig, options: ServiceOptions = {}): Promise<ApiService> {
  const keys = buildRedisKeys(config.REDIS_KEY_PREFIX);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX, application_name: 'card-generation-api' });
  // Producer side fails fast: a request must not wait in an offline queue while Redis is away.
  const redis = createRedis(config, 'card-generation-api', { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  const subscriber = createRedis(config, 'card-generation-api-sub', { lazyConnect: true });
  const service = createService({
    name: CARD_SERVICE_NAME,
    version: CARD_SERVICE_VERSION,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [postgresCheck(pool), redisCheck(redis)],
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    idempotency: { store: createIdempotencyStore({ pool }) },
    trustProxy: 'loopback',
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined)],
  });
  labelMetrics(service, config);
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.warn({ err: error }, 'Redis connection error'));
  subscriber.on('error', (error) => service.logger.warn({ err: error }, 'Redis subscriber error'));
  const metrics = createCardMetrics(service.metrics);
  const cacheOptions = {
    redis,
    keys,
    localSize: config.MULTI_TIER_CACHE_LOCAL_SIZE,
    localTtlMs: config.MULTI_TIER_CACHE_LOCAL_TTL,
    remoteTtlMs: config.MULTI_TIER_CACHE_REMOTE_TTL_MS,
    requests: metrics.cacheRequests,
    onError: (error: unknown) => service.logger.debug({ err: error }, 'cache unavailable: read from PostgreSQL'),
  };
  const cardCache = new TwoTierCache<StoredCard>({ ...cacheOptions, namespace: 'card' });
  // Counts move with every card: a short TTL in both tiers instead of invalidation.
  const statsCache = new TwoTierCache<{ counts: Record<string, number> }>({
    ...cacheOptions,
    namespace: 'bin-stats',
    localSize: 16,
    localTtlMs: config.BIN_STATS_TTL_MS,
    remoteTtlMs: Math.max(1_000, config.BIN_STATS_TTL_MS),
  });
  new Gauge({
    name: 'cache_local_entries',
    help: 'Entries in the in-process LRU',
    labelNames: ['cache'],
    registers: [service.metrics.registry],
    collect() {
      this.set({ cache: 'card' }, cardCache.localSize());
    },
  });
  let closeQueue: (() => Promise<void>) | undefined;
  try {
    await Promise.all([connectRedis(redis), connectRedis(subscriber)]);
    const problems = await syncBins(pool, config.SANDBOX_BINS);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const stopInvalidations = await subscribeInvalidations(subscriber, keys, [cardCache as TwoTierCache<object>]);
    service.onClose(stopInvalidations);
    const queue = createBulkQueue(redis, keys, config);
    closeQueue = () => queue.close();
    service.onClose(closeQueue);
    const minter = new CardMinter(deriveCardKeys(config.CARD_MASTER_KEY));
    const allocator = new CounterAllocator(pool, config.CARD_COUNTER_BLOCK_SIZE);
    allocator.onReserve = (bin) => metrics.counterBlocks.inc({ bin });
    allocator.onReserveAheadError = (bin, error) =>
      service.logger.warn({ err: error, bin }, 'counter block reserved ahead failed: the next request reserves its own');
    const issuer = new CardIssuer({
      pool,
      minter,
      allocator,
      metrics,
      maxRetries: config.UNIQUENESS_SERVICE_MAX_RETRIES,
      retryDelayMs: config.UNIQUENESS_SERVICE_RETRY_DELAY,
    });
    // Before the pool closes (hooks run in reverse): every shared INSERT finishes and is answered, and
    // a block being reserved ahead commits (its counters are then left unused, as any held ones).
    service.onClose(() => Promise.all([issuer.drain(), allocator.drain()]).then(() => undefined));
    registerCardRoutes(service.app, { pool, issuer, minter, bins: config.SANDBOX_BINS, cardCache });
    registerAdminRoutes(service.app, { pool, minter, bins: config.SANDBOX_BINS });
    registerBinRoutes(service.app, { pool, bins: config.SANDBOX_BINS, statsCache, metrics });
    registerJobRoutes(service.app, {
      pool,
      queue,
      bins: config.SANDBOX_BINS,
      metrics,
      chunkSize: config.BULK_CHUNK_SIZE,
      logger: service.logger,
      publishProgress: progressPublisher(redis, keys),
    });
    const socket = attachProgressSocket(service.app.server, {
      pool,
      subscriber,
      keys,
      allowedOrigins: config.WEBSOCKET_CORS_ORIGIN,
      pingIntervalMs: config.WEBSOCKET_PING_INTERVAL,
      pingTimeoutMs: config.WEBSOCKET_PING_TIMEOUT,
      metrics,
      logger: service.logger,
    });
    await socket.ready;
    // Before the pools close (hooks run in reverse): tell subscribers and close the sockets.
    service.onClose(() => socket.close());
  } catch (error) {
    await service.stop('start-up failed').catch(() => undefined);
    subscriber.disconnect();
    throw error;
  }
  return { service, metrics, pool, redis };
}
