import { createService, postgresCheck, redisCheck, type Service } from '@cutover/service-kit';
import type { Worker } from 'bullmq';
import pg from 'pg';
import { CARD_SERVICE_NAME, CARD_SERVICE_VERSION, connectRedis, labelMetrics, type ServiceOptions } from './build-api-service.ts';
import type { CardConfig } from './card-config.ts';
import { type CardMetrics, createCardMetrics } from './card-metrics.ts';
import { deriveCardKeys } from './cards/card-keys.ts';
import { CardMinter } from './cards/card-minter.ts';
import { createBulkQueue } from './jobs/bulk-queue.ts';
import { startBulkWorker } from './jobs/bulk-worker.ts';
import { startSweeper } from './jobs/job-sweeper.ts';
import { progressPublisher } from './jobs/progress-socket.ts';
import { buildRedisKeys, createRedis } from './redis/create-redis.ts';

/** How often the queue's job counts are sampled into bulk_queue_jobs. */
export const QUEUE_SAMPLE_INTERVAL_MS = 5_000;

export interface WorkerService {
  service: Service;
  worker: Worker;
  metrics: CardMetrics;
  pool: pg.Pool;
}

/**
 * The worker process: chunks of bulk jobs from BullMQ, the sweeper, and health and /metrics on its
 * own port. On SIGTERM it stops taking chunks and lets the ones in hand finish (worker.close()).
 */
export async function buildWorkerService(config: CardConfig, options: ServiceOptions = {}): Promise<WorkerService> {
  const keys = buildRedisKeys(config.REDIS_KEY_PREFIX);
  const workerName = config.CUTOVER_INSTANCE_ID ?? `worker-${process.pid}`;
  // One connection per BullMQ worker, kept as long as it can be: maxRetriesPerRequest null (BullMQ's requirement).
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: Math.max(config.PG_POOL_MAX, config.BULL_QUEUE_CONCURRENCY + 2),
    application_name: `card-generation-${workerName}`,
  });
  const workerRedis = createRedis(config, 'card-generation-worker', { maxRetriesPerRequest: null, lazyConnect: true });
  const redis = createRedis(config, 'card-generation-worker-client', { lazyConnect: true, maxRetriesPerRequest: 2 });
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
    onClose: [() => pool.end(), () => redis.quit().then(() => undefined), () => workerRedis.quit().then(() => undefined)],
  });
  labelMetrics(service, config);
  pool.on('error', (error) => service.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
  redis.on('error', (error) => service.logger.warn({ err: error }, 'Redis connection error'));
  workerRedis.on('error', (error) => service.logger.warn({ err: error }, 'Redis (worker) connection error'));
  const metrics = createCardMetrics(service.metrics);
  try {
    await Promise.all([connectRedis(redis), connectRedis(workerRedis)]);
  } catch (error) {
    await service.stop('start-up failed').catch(() => undefined);
    throw error;
  }
  const queue = createBulkQueue(redis, keys, config);
  const minter = new CardMinter(deriveCardKeys(config.CARD_MASTER_KEY));
  const worker = startBulkWorker({
    connection: workerRedis,
    keys,
    config,
    writer: { pool, minter, bins: new Map(config.SANDBOX_BINS.map((b) => [b.bin, b])), workerName },
    pool,
    metrics,
    logger: service.logger,
    publishProgress: progressPublisher(redis, keys),
  });
  const stopSweeper = startSweeper(
    pool,
    queue,
    config.BULK_SWEEP_INTERVAL_MS,
    (error) => service.logger.warn({ err: error }, 'sweep failed'),
    (n) => service.logger.info({ chunks: n }, 'sweeper re-queued chunks missing from Redis'),
  );
  const sampler = setInterval(() => {
    queue
      .getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized')
      .then((counts) => {
        for (const [state, n] of Object.entries(counts)) metrics.queueJobs.set({ state }, n);
      })
      .catch(() => undefined);
  }, QUEUE_SAMPLE_INTERVAL_MS);
  sampler.unref();
  // Hooks run in reverse: the worker finishes its chunks before the queue, Redis and the pool close.
  service.onClose(() => queue.close());
  service.onClose(() => {
    clearInterval(sampler);
    stopSweeper();
  });
  service.onClose(() => worker.close());
  return { service, worker, metrics, pool };
}
