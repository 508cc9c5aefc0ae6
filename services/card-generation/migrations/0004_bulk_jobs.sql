-- Bulk generation jobs. The api reserves the job's whole counter block [counter_start,
-- counter_start + total) when it accepts the job, so the job's cards are fixed before any is
-- written. Workers write it in chunks of chunk_size counters; a chunk commits in one transaction
-- together with its bulk_job_chunks row and the job's progress (done), so after a crash a chunk is
-- either fully written and counted or not at all, and the primary key of bulk_job_chunks turns a
-- second writer of the same chunk (another worker, a retried job) into a no-op.

-- cutover:allow prefer-bigint chunk_size, chunk_index and cards count chunks of at most 100,000 cards
-- migrate:up
CREATE TABLE bulk_jobs (
  id            uuid        NOT NULL,
  bin           text        NOT NULL,
  total         bigint      NOT NULL,
  counter_start bigint      NOT NULL,
  chunk_size    integer     NOT NULL,
  done          bigint      NOT NULL DEFAULT 0,
  state         text        NOT NULL DEFAULT 'queued',
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz,
  CONSTRAINT bulk_jobs_pkey PRIMARY KEY (id),
  CONSTRAINT bulk_jobs_state_known CHECK (state IN ('queued', 'running', 'completed', 'cancelled', 'failed')),
  CONSTRAINT bulk_jobs_done_in_total CHECK (done >= 0 AND done <= total),
  CONSTRAINT bulk_jobs_chunk_size CHECK (chunk_size > 0)
);

CREATE INDEX bulk_jobs_unfinished_idx ON bulk_jobs (created_at) WHERE state IN ('queued', 'running');

CREATE TABLE bulk_job_chunks (
  job_id      uuid        NOT NULL,
  chunk_index integer     NOT NULL,
  cards       integer     NOT NULL,
  worker      text,
  written_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT bulk_job_chunks_pkey PRIMARY KEY (job_id, chunk_index)
);

-- migrate:down
DROP TABLE bulk_job_chunks;
DROP TABLE bulk_jobs;
