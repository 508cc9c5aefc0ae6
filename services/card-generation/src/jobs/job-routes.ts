import { randomUUID } from 'node:crypto';
import { sendProblem } from '@cutover/service-kit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { MAX_BULK_CARDS } from '../card-config.ts';
import type { CardMetrics } from '../card-metrics.ts';
import { NETWORK_IDS } from '../cards/networks.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';
import { issueProblem, resolveBins, zodProblem } from '../routes/request-problems.ts';
import { reserveExactly } from '../store/bin-store.ts';
import { type BulkJob, cancelJob, chunkCount, findJob, insertJob } from './bulk-job-store.ts';
import { type BulkQueue, chunkJobId, enqueueChunks } from './bulk-queue.ts';
import { jobView, type ProgressEvent } from './job-view.ts';

const bulkBody = z.strictObject({
  network: z.enum(NETWORK_IDS),
  count: z.number().int().min(1).max(MAX_BULK_CARDS),
  bin: z
    .string()
    .regex(/^\d{6,16}$/, 'must be 6 to 16 digits')
    .optional(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface JobRoutesOptions {
  pool: pg.Pool;
  queue: BulkQueue;
  bins: readonly SandboxBin[];
  metrics: CardMetrics;
  chunkSize: number;
  logger: FastifyBaseLogger;
  /** Tells the progress sockets of every instance (Redis pub/sub). */
  publishProgress: (event: ProgressEvent) => Promise<unknown>;
}

/**
 * Accepts a job: in one transaction, reserves its whole counter block from the first BIN with room
 * and records the job; then adds its chunks to the queue. When Redis refuses the chunks, the job is
 * still accepted (the worker's sweeper adds them later): the database is the record.
 */
async function acceptJob(options: JobRoutesOptions, candidates: SandboxBin[], count: number) {
  const client = await options.pool.connect();
  try {
    const full: { bin: string; available: number }[] = [];
    for (const bin of candidates) {
      await client.query('BEGIN');
      const reserved = await reserveExactly(client, bin.bin, count);
      if (!reserved.ok) {
        await client.query('ROLLBACK');
        full.push({ bin: bin.bin, available: reserved.left });
        continue;
      }
      const job = await insertJob(client, {
        id: randomUUID(),
        bin: bin.bin,
        total: count,
        counterStart: reserved.block.start,
        chunkSize: options.chunkSize,
      });
      await client.query('COMMIT');
      return { ok: true as const, job };
    }
    return { ok: false as const, full };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export function registerJobRoutes(app: FastifyInstance, options: JobRoutesOptions): void {
  const { pool, queue, bins, metrics } = options;

  app.post('/api/v1/cards/bulk', { config: { idempotency: { required: false } } }, async (request, reply) => {
    const parsed = bulkBody.safeParse(request.body);
    if (!parsed.success) return zodProblem(reply, parsed.error);
    const { network, count, bin } = parsed.data;
    const candidates = resolveBins(reply, bins, network, bin);
    if (!candidates) return reply;
    const accepted = await acceptJob(options, candidates, count);
    if (!accepted.ok) return issueProblem(reply, network, count, accepted.full);
    const job: BulkJob = accepted.job;
    metrics.bulkJobs.inc({ outcome: 'accepted' });
    try {
      await enqueueChunks(
        queue,
        job.id,
        Array.from({ length: chunkCount(job) }, (_, i) => i),
      );
    } catch (error) {
      options.logger.warn({ err: error, jobId: job.id }, 'chunks not queued: the worker sweeper will add them');
    }
    return reply
      .code(202)
      .header('location', `/api/v1/jobs/${job.id}`)
      .send({ job: { ...jobView(job), network } });
  });

  app.get<{ Params: { id: string } }>('/api/v1/jobs/:id', async (request, reply) => {
    const { id } = request.params;
    if (!UUID.test(id)) return sendProblem(reply, 400, `job id "${id.slice(0, 64)}" is not a UUID`, { code: 'CARD_ERR_ID_INVALID' });
    const job = await findJob(pool, id);
    if (!job) return sendProblem(reply, 404, `no job ${id}`, { code: 'CARD_ERR_JOB_NOT_FOUND' });
    return reply.send({ job: jobView(job) });
  });

  app.post<{ Params: { id: string } }>('/api/v1/jobs/:id/cancel', async (request, reply) => {
    const { id } = request.params;
    if (!UUID.test(id)) return sendProblem(reply, 400, `job id "${id.slice(0, 64)}" is not a UUID`, { code: 'CARD_ERR_ID_INVALID' });
    const { cancelled, job } = await cancelJob(pool, id);
    if (!job) return sendProblem(reply, 404, `no job ${id}`, { code: 'CARD_ERR_JOB_NOT_FOUND' });
    if (!cancelled)
      return sendProblem(reply, 409, `job ${id} is ${job.state}; only queued or running jobs can be cancelled`, {
        code: 'CARD_ERR_JOB_FINISHED',
        state: job.state,
      });
    metrics.bulkJobs.inc({ outcome: 'cancelled' });
    await options
      .publishProgress({ type: 'progress', jobId: id, state: job.state, done: job.done, total: job.total })
      .catch((error) => options.logger.warn({ err: error }, 'progress event not published'));
    // Chunks still waiting are dropped from the queue; a chunk being written notices at commit and rolls back.
    await Promise.all(Array.from({ length: chunkCount(job) }, (_, i) => queue.remove(chunkJobId(id, i)).catch(() => 0)));
    return reply.send({ job: jobView(job) });
  });
}
