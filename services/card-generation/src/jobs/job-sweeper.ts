// Redis is not the record of a bulk job, so chunks can go missing from it: the api could not add
// them (Redis was down when the job was accepted), or Redis lost them (a restart without AOF, a
// failover). Every BULK_SWEEP_INTERVAL_MS, a worker re-adds the chunks of unfinished jobs that have
// no bulk_job_chunks row. Chunks still queued are left as they are (same job id); a chunk that runs
// twice writes once (chunk-writer.ts), so sweeping too much is harmless.
import type pg from 'pg';
import { chunkCount, unfinishedJobs, writtenChunks } from './bulk-job-store.ts';
import { type BulkQueue, enqueueChunks } from './bulk-queue.ts';

/** Jobs younger than this are left to the api's own enqueue. */
export const SWEEP_MIN_AGE_MS = 5_000;

export async function sweepOnce(pool: pg.Pool, queue: BulkQueue): Promise<number> {
  let added = 0;
  for (const job of await unfinishedJobs(pool, SWEEP_MIN_AGE_MS)) {
    const written = await writtenChunks(pool, job.id);
    const missing: number[] = [];
    for (let i = 0; i < chunkCount(job); i++) {
      if (written.has(i)) continue;
      const state = await queue.getJobState(`${job.id}-${i}`);
      if (state === 'unknown' || state === 'completed') missing.push(i);
    }
    if (missing.length > 0) {
      // A completed chunk job without its row was cancelled-then-resumed or lost: remove it so the id can be reused.
      for (const i of missing) await queue.remove(`${job.id}-${i}`).catch(() => 0);
      await enqueueChunks(queue, job.id, missing);
      added += missing.length;
    }
  }
  return added;
}

export function startSweeper(
  pool: pg.Pool,
  queue: BulkQueue,
  intervalMs: number,
  onError: (error: unknown) => void,
  onAdded: (n: number) => void,
) {
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    sweepOnce(pool, queue)
      .then((n) => n > 0 && onAdded(n))
      .catch(onError)
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
