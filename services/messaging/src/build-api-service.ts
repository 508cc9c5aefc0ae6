import { createService, postgresCheck, redisCheck, type Service } from '@cutover/service-kit';
import pg from 'pg';
import { createMessageIngress, type MessageIngress } from './ingress/message-ingress.ts';
import { registerMessageRoutes } from './ingress/message-routes.ts';
import type { MessagingConfig } from './messaging-config.ts';
import { createMessagingMetrics, type MessagingMetrics } from './messaging-metrics.ts';
import { registerReceiptRoutes } from './receipts/receipt-routes.ts';
import { checkRedisDurability } from './redis/check-redis-durability.ts';
import { createRedis } from './redis/create-redis.ts';
import { registerDeadLetterRoutes } from './streams/dead-letter-routes.ts';
import { ensureConsumerGroups } from './streams/ensure-groups.ts';
import { startLagSampler } from './streams/lag-sampler.ts';
import { registerQueueStatusRoutes } from './streams/queue-status-routes.ts';
import { buildStreamKeys, type StreamKeys } from './streams/stream-keys.ts';

export const MESSAGING_SERVICE_NAME = 'messaging';
export const MESSAGING_SERVICE_VERSION = '1.0.0';
/** Largest request body: a message of MAX_CONTENT_LENGTH characters with its recipients fits. */
export const API_BODY_LIMIT_BYTES = 256 * 1024;

export interface ServiceOptions {
  /** Where log lines go; default stdout. */
  logDestination?: { write(chunk: string): unknown };
  /** Handle SIGTERM/SIGINT; default true (tests running several services in one process pass false). */
  handleSignals?: boolean;
}

export interface ApiService {
  service: Service;
  ingress: MessageIngress;
  metrics: MessagingMetrics;
  keys: StreamKeys;
  pool: pg.Pool;
}

/** Sets `service` and (when known) `release` on every series, so canary analysis can compare releases. */
export function labelMetrics(service: Service, config: MessagingConfig): void {
  service.metrics.registry.setDefaultLabels({
    service: MESSAGING_SERVICE_NAME,
    ...(config.CUTOVER_RELEASE ? { release: config.CUTOVER_RELEASE } : {}),
  });
}

/**
 * The api process: idempotent ingress, message and conversation reads, receipts, dead letters and
 * queue status. Connects to Redis and creates the consumer groups before it returns, so no message
 * is ever enqueued to a stream whose persistence group could start after it.
 */
export async function buildApiService(config: MessagingConfig, options: ServiceOptions = {}): Promise<ApiService> {
  const keys = buildStreamKeys(config.STREAM_KEY_PREFIX, config.STREAM_PARTITIONS, config.REDIS_CLUSTER_ENABLED ? 'cluster' : 'single');
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX, application_name: 'messaging-api' });
  // Producer side fails fast: a request must not wait in an offline queue while Redis is away.
  const redis = createRedis(config, 'messaging-api', { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  const service = createService({
    name: MESSAGING_SERVICE_NAME,
    version: MESSAGING_SERVICE_VERSION,
    releaseId: config.CUTOVER_RELEASE,
    logLevel: config.LOG_LEVEL,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
    readinessChecks: [postgresCheck(pool), redisCheck(redis)],
    shutdown: {
      gracePeriodMs: config.SHUTDOWN_GRACE_PERIOD_MS,
      delayMs: config.SHUTDOWN_DELAY_MS,
      handleSignals: options.handleSignals ?? true,
    },
    trustProxy: 'loopback',
    bodyLimitBytes: API_BODY_LIMIT_BYTES,
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined)],
  });
  labelMetrics(service, config);
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.warn({ err: error }, 'Redis connection error'));
  try {
    await redis.connect();
    await ensureConsumerGroups(redis, keys);
    for (const warning of await checkRedisDurability(redis))
      service.logger.warn({ warning }, 'Redis is not configured for a durable queue');
  } catch (error) {
    await service.stop('start-up failed').catch(() => undefined);
    throw error;
  }
  const metrics = createMessagingMetrics(service.metrics);
  const ingress = createMessageIngress({
    pool,
    redis,
    keys,
    metrics,
    maxBatch: config.INGRESS_MAX_BATCH,
    concurrency: config.INGRESS_FLUSH_CONCURRENCY,
  });
  // Registered after the listener closes is too late: drain before the pools close (hooks run in reverse).
  service.onClose(() => ingress.drain());
  const stopSampler = startLagSampler(redis, keys, metrics, config.STREAM_LAG_SAMPLE_INTERVAL_MS, (error) =>
    service.logger.debug({ err: error }, 'queue sampling failed'),
  );
  service.onClose(stopSampler);
  registerMessageRoutes(service.app, { ingress, pool });
  registerReceiptRoutes(service.app, { pool, metrics });
  registerDeadLetterRoutes(service.app, { redis, keys, metrics, adminToken: config.ADMIN_TOKEN });
  registerQueueStatusRoutes(service.app, { redis, keys });
  return { service, ingress, metrics, keys, pool };
}
