// The worker's BullMQ consumer of chunks. Each chunk has BULL_QUEUE_DEFAULT_TIMEOUT ms (an
// AbortSignal ends it; the connection is dropped and PostgreSQL rolls the chunk back) and
// BULL_QUEUE_DEFAULT_ATTEMPTS tries; a chunk that used them all fails its job.
import { type Job, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import type { CardConfig } from '../card-config.ts';
import type { CardMetrics } from '../card-metrics.ts';
import type { RedisClient, RedisKeys } from '../redis/create-redis.ts';
import { uniqueViolationConstraint } from '../store/write-retry.ts';
import { failJob } from './bulk-job-store.ts';
import { BULK_QUEUE_NAME, type ChunkJobData } from './bulk-queue.ts';
import { type ChunkOutcome, type ChunkWriterOptions, writeChunk } from './chunk-writer.ts';
import type { ProgressEvent } from './job-view.ts';

/** Stalls (lock lost, e.g. a killed worker) a chunk may go through before BullMQ fails it. */
export const MAX_STALLED_COUNT = 10;

export interface BulkWorkerOptions {
  connection: RedisClient;
  keys: RedisKeys;
  config: Pick<
    CardConfig,
    'BULL_QUEUE_CONCURRENCY' | 'BULL_QUEUE_DEFAULT_TIMEOUT' | 'BULL_QUEUE_LOCK_DURATION_MS' | 'BULL_QUEUE_STALLED_INTERVAL_MS'
  >;
  writer: ChunkWriterOptions;
  pool: pg.Pool;
  metrics: CardMetrics;
  logger: FastifyBaseLogger;
  publishProgress: (event: ProgressEvent) => Promise<unknown>;
}

export function startBulkWorker(options: BulkWorkerOptions): Worker<ChunkJobData, ChunkOutcome> {
  const { metrics, logger } = options;
  const processChunk = async (job: Job<ChunkJobData>, _token?: string, signal?: AbortSignal): Promise<ChunkOutcome> => {
    const timeout = AbortSignal.timeout(options.config.BULL_QUEUE_DEFAULT_TIMEOUT);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const stop = metrics.bulkChunkDuration.startTimer();
    try {
      const result = await writeChunk(options.writer, job.data.jobId, job.data.chunkIndex, combined);
      metrics.bulkChunks.inc({ outcome: result.outcome });
      if (result.outcome === 'written') {
        stop();
        metrics.cardsGenerated.inc({ network: result.network, path: 'bulk' }, result.cards);
        if (result.state === 'completed') metrics.bulkJobs.inc({ outcome: 'completed' });
        await job.updateProgress({ done: result.done, total: result.total }).catch(() => undefined);
        await options
          .publishProgress({ type: 'progress', jobId: job.data.jobId, state: result.state, done: result.done, total: result.total })
          .catch((error) => logger.warn({ err: error }, 'progress event not published'));
      }
      return result;
    } catch (error) {
      const constraint = uniqueViolationConstraint(error);
      if (constraint) metrics.uniquenessViolations.inc({ constraint });
      metrics.bulkChunks.inc({ outcome: 'failed' });
      throw error;
    }
  };
  const worker = new Worker<ChunkJobData, ChunkOutcome>(BULK_QUEUE_NAME, processChunk, {
    connection: options.connection,
    prefix: options.keys.queuePrefix,
    concurrency: options.config.BULL_QUEUE_CONCURRENCY,
    lockDuration: options.config.BULL_QUEUE_LOCK_DURATION_MS,
    stalledInterval: options.config.BULL_QUEUE_STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: true,
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    logger.warn({ err: error, jobId: job.data.jobId, chunk: job.data.chunkIndex, attempt: job.attemptsMade }, 'chunk failed');
    if (job.attemptsMade >= attempts || job.finishedOn) {
      failJob(options.pool, job.data.jobId, `chunk ${job.data.chunkIndex} failed ${job.attemptsMade} times: ${error.message}`)
        .then(async () => {
          metrics.bulkJobs.inc({ outcome: 'failed' });
          await options.publishProgress({ type: 'progress', jobId: job.data.jobId, state: 'failed', done: 0, total: 0 });
        })
        .catch((e) => logger.error({ err: e }, 'could not mark the job failed'));
    }
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'bulk worker error'));
  return worker;
}
