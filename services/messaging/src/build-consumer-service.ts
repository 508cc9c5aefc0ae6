import { hostname } from 'node:os';
import { createService, postgresCheck, postgresSessionOptions, redisCheck, type Service } from '@cutover/service-kit';
import pg from 'pg';
import { labelMetrics, MESSAGING_SERVICE_NAME, MESSAGING_SERVICE_VERSION, type ServiceOptions } from './build-api-service.ts';
import { coalesceHandler } from './consumer/coalescing-handler.ts';
import { type ConsumerRunner, createConsumerRunner } from './consumer/consumer-runner.ts';
import { createMessagePersister, createShadowReader } from './consumer/message-persister.ts';
import type { MessagingConfig } from './messaging-config.ts';
import { createMessagingMetrics, type MessagingMetrics } from './messaging-metrics.ts';
import { checkRedisDurability } from './redis/check-redis-durability.ts';
import { createRedis } from './redis/create-redis.ts';
import { ensureConsumerGroups } from './streams/ensure-groups.ts';
import { startLagSampler } from './streams/lag-sampler.ts';
import { buildStreamKeys, PERSISTENCE_GROUP, SHADOW_GROUP, type StreamKeys } from './streams/stream-keys.ts';

export interface ConsumerService {
  service: Service;
  /** Null when ENABLE_STREAM_CONSUMERS is false: the process then only answers health and metrics. */
  runner: ConsumerRunner | null;
  metrics: MessagingMetrics;
  keys: StreamKeys;
  consumerName: string;
}

/** This process's name in the consumer group: the agent's instance id (or the host) plus the pid. */
export function consumerNameFor(config: MessagingConfig): string {
  return `${config.CUTOVER_INSTANCE_ID ?? hostname()}.${process.pid}`;
}

/**
 * The consumer process: partition workers under Redis leases (write or shadow mode), with a small
 * HTTP server for health and /metrics on PORT. The workers start with `start()`, after the
 * listener, and stop (batch finished, leases released) when the service shuts down.
 */
export async function buildConsumerService(
  config: MessagingConfig,
  options: ServiceOptions = {},
): Promise<ConsumerService & { start(): Promise<{ url: string }> }> {
  const keys = buildStreamKeys(config.STREAM_KEY_PREFIX, config.STREAM_PARTITIONS, config.REDIS_CLUSTER_ENABLED ? 'cluster' : 'single');
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.PG_POOL_MAX,
    application_name: 'messaging-consumer',
    // The handler's time limit: a batch that runs longer is cancelled and retried later.
    statement_timeout: config.STREAM_HANDLER_TIMEOUT_MS,
    // A batch waiting for a lock another transaction holds gives up first, with 55P03, and is
    // held and tried again as it is (transient-error.ts): the wait is not the messages' fault.
    lock_timeout: lockTimeoutFor(config.STREAM_HANDLER_TIMEOUT_MS),
    // The persist statement is a named statement, parsed once per connection, but planned for each
    // batch's own ids: the generic plan PostgreSQL chose on a young messages table (2,000 rows, not
    // yet analysed) read the whole table for every batch instead of its primary key.
    options: postgresSessionOptions('-c plan_cache_mode=force_custom_plan'),
  });
  // A cluster client queues commands until it has the slot map, however long that takes: connect
  // first, so unreachable nodes fail the start-up instead of hanging it.
  const redis = createRedis(config, 'messaging-consumer', { maxRetriesPerRequest: 2, lazyConnect: config.REDIS_CLUSTER_ENABLED });
  const consumerName = consumerNameFor(config);
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
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined)],
  });
  labelMetrics(service, config);
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.warn({ err: error }, 'Redis connection error'));
  const metrics = createMessagingMetrics(service.metrics);
  const shadow = config.STREAM_CONSUMER_MODE === 'shadow';
  try {
    if (config.REDIS_CLUSTER_ENABLED) await redis.connect();
    await ensureConsumerGroups(redis, keys, shadow ? [{ group: SHADOW_GROUP, startId: '$' }] : []);
    for (const warning of await checkRedisDurability(redis))
      service.logger.warn({ warning }, 'Redis is not configured for a durable queue');
  } catch (error) {
    await service.stop('start-up failed').catch(() => undefined);
    throw error;
  }
  service.onClose(
    startLagSampler(redis, keys, metrics, config.STREAM_LAG_SAMPLE_INTERVAL_MS, (error) =>
      service.logger.debug({ err: error }, 'queue sampling failed'),
    ),
  );

  const runner = config.ENABLE_STREAM_CONSUMERS
    ? createConsumerRunner({
        keys,
        redis,
        consumerName,
        group: shadow ? SHADOW_GROUP : PERSISTENCE_GROUP,
        handler: shadow
          ? createShadowReader(pool)
          : coalesceHandler(createMessagePersister(pool), {
              windowMs: config.STREAM_PERSIST_WINDOW_MS,
              maxEnvelopes: config.STREAM_PERSIST_MAX_BATCH,
            }),
        metrics,
        logger: service.logger,
        batchSize: config.STREAM_BATCH_SIZE,
        pollIntervalMs: config.STREAM_POLL_INTERVAL_MS,
        claimMinIdleMs: config.STREAM_CLAIM_MIN_IDLE_MS,
        reclaimIntervalMs: config.STREAM_RECLAIM_INTERVAL_MS,
        trimIntervalMs: config.STREAM_TRIM_INTERVAL_MS,
        maxRetries: config.STREAM_MAX_RETRIES,
        trimIgnoresGroups: [SHADOW_GROUP],
        leaseMs: config.STREAM_LEASE_MS,
      })
    : null;
  // Runs first on shutdown (hooks run in reverse): workers finish their batch while the pools are still open.
  if (runner) service.onClose(() => runner.stop());

  return {
    service,
    runner,
    metrics,
    keys,
    consumerName,
    async start() {
      const { url } = await service.start({ port: config.PORT, host: config.HOST });
      if (runner) {
        await runner.start();
        service.logger.info({ consumer: consumerName, mode: config.STREAM_CONSUMER_MODE }, 'stream consumers started');
      } else {
        service.logger.info('stream consumers disabled (ENABLE_STREAM_CONSUMERS=false): serving health and metrics only');
      }
      return { url };
    },
  };
}

/** Half the handler's time limit: a lock wait ends before the statement timeout would. */
export function lockTimeoutFor(handlerTimeoutMs: number): number {
  return Math.max(50, Math.floor(handlerTimeoutMs / 2));
}
