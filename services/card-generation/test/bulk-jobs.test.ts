// Bulk jobs on BullMQ with real worker processes: a retry with the same Idempotency-Key returns the
// same job; two workers share one job; a worker killed with SIGKILL mid-job leaves no duplicate and
// no gap once another finishes it; a cancelled job stops; progress streams over the WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startServiceProcess, waitFor } from '@cutover/service-kit/testing';
import { WebSocket } from 'ws';
import { cardEnv } from './support/card-env.ts';
import { getJson, type InProcessApi, postJson, startApi } from './support/in-process.ts';
import { SERVICE_DIR } from './support/paths.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

interface JobView {
  id: string;
  state: string;
  total: number;
  done: number;
  bin: string;
}

describe('bulk jobs', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: InProcessApi;
  let env: Record<string, string>;
  const workers: ServiceProcess[] = [];

  before(async () => {
    db = await createMigratedDatabase('bulk');
    redis = redisPrefix('bulk');
    env = cardEnv(db.url, redis.prefix, {
      BULK_CHUNK_SIZE: '2000',
      BULL_QUEUE_CONCURRENCY: '2',
      // A killed worker's chunk is taken over after ~2 s instead of the default 30 s.
      BULL_QUEUE_LOCK_DURATION_MS: '2000',
      BULL_QUEUE_STALLED_INTERVAL_MS: '1000',
      BULK_SWEEP_INTERVAL_MS: '1000',
      WEBSOCKET_PING_INTERVAL: '500',
      WEBSOCKET_PING_TIMEOUT: '250',
      WEBSOCKET_CORS_ORIGIN: 'http://allowed.test',
    });
    api = await startApi(env);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await api?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  async function waitForJob(id: string, states: string[], timeoutMs = 90_000): Promise<JobView> {
    return waitFor(
      `job ${id} to be ${states.join(' or ')}`,
      async () => {
        const { body } = await getJson(`${api.url}/api/v1/jobs/${id}`);
        return states.includes(body.job.state) ? (body.job as JobView) : undefined;
      },
      timeoutMs,
      100,
    );
  }

  /** Every counter of the job's block written exactly once, every PAN distinct. */
  async function assertExactlyOnce(job: JobView) {
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS cards, count(DISTINCT counter)::int AS counters, count(DISTINCT pan_hash)::int AS pans,
              min(counter)::bigint AS lo, max(counter)::bigint AS hi
         FROM cards WHERE job_id = $1`,
      [job.id],
    );
    const { rows: jobRows } = await db.pool.query('SELECT counter_start::bigint AS start FROM bulk_jobs WHERE id = $1', [job.id]);
    const start = Number(jobRows[0].start);
    assert.deepEqual(
      { cards: rows[0].cards, counters: rows[0].counters, pans: rows[0].pans, lo: Number(rows[0].lo), hi: Number(rows[0].hi) },
      { cards: job.total, counters: job.total, pans: job.total, lo: start, hi: start + job.total - 1 },
      'no duplicate, no gap',
    );
  }

  test('a retry with the same Idempotency-Key returns the same job; another body with it is 422', async () => {
    const headers = { 'idempotency-key': '"bulk-retry-1"' };
    const first = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'visa', count: 10 }, headers);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'visa', count: 10 }, headers);
    assert.equal(again.status, 202);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.job.id, first.body.job.id);
    const other = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'visa', count: 11 }, headers);
    assert.equal(other.status, 422);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM bulk_jobs');
    assert.equal(rows[0].n, 1, 'one job recorded');
  });

  test('two workers share one job; one is killed with SIGKILL mid-job; the job ends with exactly its count', async () => {
    workers.push(
      await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'worker', env: { ...env, CUTOVER_INSTANCE_ID: 'worker-a' } }),
      await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'worker', env: { ...env, CUTOVER_INSTANCE_ID: 'worker-b' } }),
    );
    const created = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'mastercard', count: 60_000 });
    assert.equal(created.status, 202);
    const id = created.body.job.id as string;
    // Kill worker-a once both have written chunks of the job (and most chunks are still to do).
    await waitFor(
      'chunks from both workers',
      async () => {
        const { rows } = await db.pool.query('SELECT count(DISTINCT worker)::int AS n FROM bulk_job_chunks WHERE job_id = $1', [id]);
        return rows[0].n === 2 ? true : undefined;
      },
      90_000,
      10,
    );
    await workers[0].kill();
    const finished = await waitForJob(id, ['completed', 'failed']);
    assert.equal(finished.state, 'completed');
    assert.equal(finished.done, 60_000);
    await assertExactlyOnce(finished);
    const { rows } = await db.pool.query('SELECT worker, count(*)::int AS chunks FROM bulk_job_chunks WHERE job_id = $1 GROUP BY worker', [
      id,
    ]);
    assert.equal(rows.length, 2, `both workers wrote chunks: ${JSON.stringify(rows)}`);
    assert.equal(
      rows.reduce((n: number, r: { chunks: number }) => n + r.chunks, 0),
      30,
    );
  });

  test('progress over the WebSocket: the current state first, then events, then a close once finished', async () => {
    if (workers.length < 2) workers.push(await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'worker', env }));
    const created = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'amex', count: 20_000 });
    const id = created.body.job.id as string;
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/jobs/${id}/events`, { headers: { origin: 'http://allowed.test' } });
    const events: { state: string; done: number }[] = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data))));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    assert.equal(await closed, 1000);
    assert.equal(events.at(-1)?.state, 'completed');
    assert.equal(events.at(-1)?.done, 20_000);
    assert.ok(events.length >= 2, `several events: ${JSON.stringify(events)}`);
    const dones = events.map((e) => e.done);
    assert.deepEqual(
      dones,
      [...dones].sort((a, b) => a - b),
      'progress only grows',
    );
    const refused = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/jobs/${id}/events`, { headers: { origin: 'http://evil.test' } });
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 403);
  });

  test('the server pings, and drops a client that stops answering', async () => {
    const created = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'jcb', count: 10, bin: '352800' });
    const id = created.body.job.id as string;
    await waitForJob(id, ['completed']);
    // A finished job's socket closes at once; a socket on a long job stays open, and its client never answers pings.
    const job2 = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'jcb', count: 300_000 });
    const id2 = job2.body.job.id as string;
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/jobs/${id2}/events`, { autoPong: false });
    let pinged = false;
    ws.on('ping', () => {
      pinged = true;
    });
    const startedAt = Date.now();
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    assert.ok(pinged, 'the server pinged');
    assert.equal(code, 1006, 'terminated without a close frame');
    assert.ok(Date.now() - startedAt < 10_000);
    const cancelled = await postJson(`${api.url}/api/v1/jobs/${id2}/cancel`, {});
    assert.equal(cancelled.status, 200);
  });

  test('cancel: a running job stops and stays short of its count; a finished job cannot be cancelled', async () => {
    const created = await postJson(`${api.url}/api/v1/cards/bulk`, { network: 'discover', count: 200_000 });
    const id = created.body.job.id as string;
    await waitFor(
      'the job to start',
      async () => ((await getJson(`${api.url}/api/v1/jobs/${id}`)).body.job.done > 0 ? true : undefined),
      90_000,
      20,
    );
    const cancelled = await postJson(`${api.url}/api/v1/jobs/${id}/cancel`, {});
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.job.state, 'cancelled');
    // Chunks in flight at the cancel roll back; nothing is written afterwards.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM cards WHERE job_id = $1', [id]);
    const job = (await getJson(`${api.url}/api/v1/jobs/${id}`)).body.job;
    assert.equal(rows[0].n, job.done, 'done matches the cards written');
    assert.ok(job.done < 200_000);
    const again = await postJson(`${api.url}/api/v1/jobs/${id}/cancel`, {});
    assert.equal(again.status, 409);
  });
});
