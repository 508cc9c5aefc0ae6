// The BullMQ queue of bulk chunks. One job per chunk (id "<jobId>-<chunkIndex>"), so any number of
// workers share one bulk job, and adding a chunk that is already queued is a no-op. Redis is not the
// record of a job: PostgreSQL is (bulk_jobs, bulk_job_chunks); a chunk lost from Redis is re-added
// by the sweeper, and a chunk processed twice writes nothing the second time.
import { Queue } from 'bullmq';
import type { CardConfig } from '../card-config.ts';
import type { RedisClient, RedisKeys } from '../redis/create-redis.ts';

export const BULK_QUEUE_NAME = 'bulk-cards';
export const CHUNK_JOB_NAME = 'chunk';
/** Completed chunk jobs kept in Redis for inspection (the database keeps the record). */
export const KEEP_COMPLETED_CHUNKS = 1_000;
export const KEEP_FAILED_CHUNKS = 5_000;
/** First retry delay of a failed chunk; doubles per attempt. */
export const CHUNK_RETRY_DELAY_MS = 1_000;

export interface ChunkJobData {
  jobId: string;
  chunkIndex: number;
}

export type BulkQueue = Queue<ChunkJobData>;

export function chunkJobId(jobId: string, chunkIndex: number): string {
  return `${jobId}-${chunkIndex}`;
}

export function createBulkQueue(
  connection: RedisClient,
  keys: RedisKeys,
  config: Pick<CardConfig, 'BULL_QUEUE_DEFAULT_ATTEMPTS'>,
): BulkQueue {
  return new Queue<ChunkJobData>(BULK_QUEUE_NAME, {
    connection,
    prefix: keys.queuePrefix,
    defaultJobOptions: {
      attempts: config.BULL_QUEUE_DEFAULT_ATTEMPTS,
      backoff: { type: 'exponential', delay: CHUNK_RETRY_DELAY_MS },
      removeOnComplete: { count: KEEP_COMPLETED_CHUNKS },
      removeOnFail: { count: KEEP_FAILED_CHUNKS },
    },
  });
}

/** Adds the chunk jobs (already queued ones are left as they are). */
export async function enqueueChunks(queue: BulkQueue, jobId: string, chunkIndexes: readonly number[]): Promise<void> {
  for (let i = 0; i < chunkIndexes.length; i += 500) {
    await queue.addBulk(
      chunkIndexes.slice(i, i + 500).map((chunkIndex) => ({
        name: CHUNK_JOB_NAME,
        data: { jobId, chunkIndex },
        opts: { jobId: chunkJobId(jobId, chunkIndex) },
      })),
    );
  }
}
