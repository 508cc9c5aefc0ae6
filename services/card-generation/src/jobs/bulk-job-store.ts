import type pg from 'pg';

export type BulkJobState = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
export const FINISHED_STATES: readonly BulkJobState[] = ['completed', 'cancelled', 'failed'];

export interface BulkJob {
  id: string;
  bin: string;
  total: number;
  counterStart: number;
  chunkSize: number;
  done: number;
  state: BulkJobState;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobRow {
  id: string;
  bin: string;
  total: string;
  counter_start: string;
  chunk_size: number;
  done: string;
  state: BulkJobState;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = 'id, bin, total, counter_start, chunk_size, done, state, error, created_at, started_at, finished_at';

function toJob(r: JobRow): BulkJob {
  return {
    id: r.id,
    bin: r.bin,
    total: Number(r.total),
    counterStart: Number(r.counter_start),
    chunkSize: r.chunk_size,
    done: Number(r.done),
    state: r.state,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export function chunkCount(job: Pick<BulkJob, 'total' | 'chunkSize'>): number {
  return Math.ceil(job.total / job.chunkSize);
}

/** Counters [start, end) of one chunk. */
export function chunkRange(job: Pick<BulkJob, 'total' | 'chunkSize' | 'counterStart'>, chunkIndex: number): { start: number; end: number } {
  const start = job.counterStart + chunkIndex * job.chunkSize;
  return { start, end: Math.min(job.counterStart + job.total, start + job.chunkSize) };
}

export async function insertJob(
  client: pg.PoolClient,
  job: { id: string; bin: string; total: number; counterStart: number; chunkSize: number },
): Promise<BulkJob> {
  const { rows } = await client.query<JobRow>(
    `INSERT INTO bulk_jobs (id, bin, total, counter_start, chunk_size) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
    [job.id, job.bin, job.total, job.counterStart, job.chunkSize],
  );
  return toJob(rows[0]);
}

export async function findJob(pool: pg.Pool | pg.PoolClient, id: string): Promise<BulkJob | undefined> {
  const { rows } = await pool.query<JobRow>(`SELECT ${COLUMNS} FROM bulk_jobs WHERE id = $1`, [id]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** Cancels a queued or running job; returns the job as it now is (undefined when unknown). */
export async function cancelJob(pool: pg.Pool, id: string): Promise<{ cancelled: boolean; job: BulkJob | undefined }> {
  const { rows } = await pool.query<JobRow>(
    `UPDATE bulk_jobs SET state = 'cancelled', finished_at = now() WHERE id = $1 AND state IN ('queued', 'running') RETURNING ${COLUMNS}`,
    [id],
  );
  if (rows[0]) return { cancelled: true, job: toJob(rows[0]) };
  return { cancelled: false, job: await findJob(pool, id) };
}

export async function failJob(pool: pg.Pool, id: string, error: string): Promise<void> {
  await pool.query(
    `UPDATE bulk_jobs SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state IN ('queued', 'running')`,
    [id, error.slice(0, 1000)],
  );
}

/** Queued and running jobs created before `olderThanMs` ago. */
export async function unfinishedJobs(pool: pg.Pool, olderThanMs: number): Promise<BulkJob[]> {
  const { rows } = await pool.query<JobRow>(
    `SELECT ${COLUMNS} FROM bulk_jobs WHERE state IN ('queued', 'running') AND created_at < now() - $1 * interval '1 millisecond' ORDER BY created_at`,
    [olderThanMs],
  );
  return rows.map(toJob);
}

export async function writtenChunks(pool: pg.Pool, jobId: string): Promise<Set<number>> {
  const { rows } = await pool.query<{ chunk_index: number }>('SELECT chunk_index FROM bulk_job_chunks WHERE job_id = $1', [jobId]);
  return new Set(rows.map((r) => r.chunk_index));
}
