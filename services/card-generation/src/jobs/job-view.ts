import type { BulkJob } from './bulk-job-store.ts';

/** A job as clients see it (GET /api/v1/jobs/:id, the WebSocket's events). */
export function jobView(job: BulkJob) {
  return {
    id: job.id,
    state: job.state,
    bin: job.bin,
    total: job.total,
    done: job.done,
    progress: job.total === 0 ? 1 : job.done / job.total,
    error: job.error,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    links: { self: `/api/v1/jobs/${job.id}`, events: `/api/v1/jobs/${job.id}/events` },
  };
}

/** What the worker publishes after each chunk commit, and the socket forwards. */
export interface ProgressEvent {
  type: 'progress';
  jobId: string;
  state: BulkJob['state'];
  done: number;
  total: number;
}
