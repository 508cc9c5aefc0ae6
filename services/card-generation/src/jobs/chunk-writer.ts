// Writes one chunk of a bulk job, exactly once whatever happens around it. In one transaction:
//   1. INSERT its bulk_job_chunks row (ON CONFLICT DO NOTHING). A second writer of the same chunk
//      (another worker that got the job after a stall, a retry, a re-added chunk) waits here for the
//      first to finish, then finds the row and writes nothing.
//   2. COPY its cards: counters [start, end) of the job's reserved block, through FF1 and Luhn.
//   3. UPDATE bulk_jobs done += n, only while the job is queued or running (a cancel in between
//      makes this update find nothing, and the whole chunk rolls back).
// A worker killed at any point leaves either the whole chunk (row, cards, progress) or none of it.
import type pg from 'pg';
import type { CardMinter } from '../cards/card-minter.ts';
import { CardMinter as Minter } from '../cards/card-minter.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';
import { type BulkJob, type BulkJobState, chunkRange, findJob } from './bulk-job-store.ts';
import { copyCards } from './copy-cards.ts';

export type ChunkOutcome =
  | { outcome: 'written'; cards: number; network: string; done: number; total: number; state: BulkJobState }
  | { outcome: 'duplicate' | 'cancelled' | 'missing'; state?: BulkJobState };

export interface ChunkWriterOptions {
  pool: pg.Pool;
  minter: CardMinter;
  bins: ReadonlyMap<string, SandboxBin>;
  workerName: string;
}

export async function writeChunk(
  options: ChunkWriterOptions,
  jobId: string,
  chunkIndex: number,
  signal?: AbortSignal,
): Promise<ChunkOutcome> {
  const job: BulkJob | undefined = await findJob(options.pool, jobId);
  if (!job) return { outcome: 'missing' };
  if (job.state !== 'queued' && job.state !== 'running')
    return { outcome: job.state === 'completed' ? 'duplicate' : 'cancelled', state: job.state };
  const bin = options.bins.get(job.bin);
  if (!bin) throw new Error(`BIN ${job.bin} of job ${jobId} is not configured in SANDBOX_BINS of this worker`);
  const { start, end } = chunkRange(job, chunkIndex);
  if (end <= start) throw new Error(`chunk ${chunkIndex} is outside job ${jobId}`);
  // CPU work before the transaction: no locks held while minting.
  const batch = options.minter.mintBatch(bin, Minter.range(start, end - start));
  signal?.throwIfAborted();
  const client = await options.pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    // The chunk row, its cards and the job's progress commit together or not at all, so a commit lost
    // in a server crash only loses the whole chunk, which the sweeper re-adds: no need to wait for the WAL flush.
    await client.query('SET LOCAL synchronous_commit = off');
    const claimed = await client.query(
      'INSERT INTO bulk_job_chunks (job_id, chunk_index, cards, worker) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING chunk_index',
      [jobId, chunkIndex, batch.count, options.workerName],
    );
    if (claimed.rowCount === 0) {
      await client.query('ROLLBACK');
      return { outcome: 'duplicate' };
    }
    await copyCards(client, batch, jobId);
    signal?.throwIfAborted();
    const progress = await client.query<{ done: string; total: string; state: BulkJobState }>(
      `UPDATE bulk_jobs
          SET done = done + $2,
              state = CASE WHEN done + $2 = total THEN 'completed' ELSE 'running' END,
              started_at = COALESCE(started_at, now()),
              finished_at = CASE WHEN done + $2 = total THEN now() END
        WHERE id = $1 AND state IN ('queued', 'running')
       RETURNING done, total, state`,
      [jobId, batch.count],
    );
    if (progress.rowCount === 0) {
      await client.query('ROLLBACK');
      return { outcome: 'cancelled' };
    }
    await client.query('COMMIT');
    const row = progress.rows[0];
    return {
      outcome: 'written',
      cards: batch.count,
      network: bin.network,
      done: Number(row.done),
      total: Number(row.total),
      state: row.state,
    };
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A failed or aborted transaction: drop the connection, so PostgreSQL rolls back whatever was sent.
    client.release(broken);
  }
}
