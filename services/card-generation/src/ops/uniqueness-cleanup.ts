// npm run uniqueness:cleanup [-- --json] [--retention-days 7]: the guide's daily pool cleanup.
// Deletes what only served finished work: chunk records of jobs finished more than the retention
// ago (they exist to make a chunk write once while its job runs), expired idempotency keys, and
// completed or failed chunk jobs older than the retention from the BullMQ queue. Never touches cards
// or counters: uniqueness does not depend on anything it deletes.
import { createIdempotencyStore } from '@cutover/service-kit';
import { createBulkQueue } from '../jobs/bulk-queue.ts';
import { buildRedisKeys, createRedis } from '../redis/create-redis.ts';
import { opsContext, option } from './ops-context.ts';

const ops = opsContext('uniqueness-cleanup');
const retentionDays = Number(option(ops.args, 'retention-days', '7'));
const chunks = await ops.pool.query(
  `DELETE FROM bulk_job_chunks c USING bulk_jobs j
    WHERE c.job_id = j.id AND j.state IN ('completed', 'cancelled', 'failed') AND j.finished_at < now() - $1 * interval '1 day'`,
  [retentionDays],
);
const idempotencyKeys = await createIdempotencyStore({ pool: ops.pool }).purgeExpired();
const redis = createRedis(ops.config, 'card-generation-cleanup', { maxRetriesPerRequest: 2 });
redis.on('error', () => undefined);
const queue = createBulkQueue(redis, buildRedisKeys(ops.config.REDIS_KEY_PREFIX), ops.config);
const graceMs = retentionDays * 86_400_000;
const completed = await queue.clean(graceMs, 100_000, 'completed');
const failed = await queue.clean(graceMs, 100_000, 'failed');
await queue.close();
await redis.quit();
const result = {
  chunkRecords: chunks.rowCount ?? 0,
  idempotencyKeys,
  queueCompleted: completed.length,
  queueFailed: failed.length,
  retentionDays,
};
await ops.finish(
  result,
  `deleted ${result.chunkRecords} chunk records, ${result.idempotencyKeys} expired idempotency keys, ${result.queueCompleted + result.queueFailed} old queue jobs`,
  true,
);
