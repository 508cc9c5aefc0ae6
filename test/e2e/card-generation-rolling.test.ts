// End to end for the card-generation service: `cutover up` starts api and worker (migrations,
// backups and checks as the real cutover.yml says), then a rolling `cutover deploy` replaces both
// process types one instance at a time while clients mint cards through the proxy and a bulk job
// runs. Every request succeeds, and the bulk job, written by old and new workers, ends with exactly
// its count of cards: no duplicate, no gap.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep, waitFor } from '@cutover/service-kit/testing';
import { createSandbox, type Sandbox } from '../../services/card-generation/test/support/sandbox.ts';

const BULK_CARDS = 200_000;

interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
}

/** Open-loop: one POST /api/v1/cards every `intervalMs`, no retries, every non-201 a failure. */
function runCardLoad(baseUrl: string, intervalMs: number, signal: AbortSignal): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, ok: 0, failures: [] };
  const inFlight = new Set<Promise<void>>();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (signal.aborted) {
        clearInterval(timer);
        Promise.all(inFlight).then(() => resolve(result));
        return;
      }
      result.sent++;
      const p = fetch(`${baseUrl}/api/v1/cards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ network: result.sent % 2 ? 'visa' : 'mastercard', count: 2 }),
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (response) => {
          const text = await response.text();
          if (response.status === 201) result.ok++;
          else result.failures.push(`HTTP ${response.status}: ${text.slice(0, 200)}`);
        })
        .catch((error) => {
          result.failures.push(String(error));
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }, intervalMs);
  });
}

describe('card-generation: rolling deploy under load', () => {
  let box: Sandbox;

  before(async () => {
    box = await createSandbox({
      label: 'e2e',
      versions: ['v1', 'v2'],
      env: {
        BULK_CHUNK_SIZE: '5000',
        BULL_QUEUE_CONCURRENCY: '1',
        BULL_QUEUE_LOCK_DURATION_MS: '5000',
        BULL_QUEUE_STALLED_INTERVAL_MS: '2000',
        BULK_SWEEP_INTERVAL_MS: '5000',
      },
      rollout: { strategy: 'rolling', batchSize: 1, healthTimeoutMs: '60s', pauseMs: '500ms', bakeMs: '0s' },
    });
    const up = await box.cli(['up', '--release', 'v1']);
    assert.equal(up.code, 0, `cutover up:\n${up.stdout}\n${up.stderr}`);
  });
  after(() => box?.cleanup());

  test('v1 -> v2 (api, then worker): 0 failed requests; the bulk job across the deploy has exactly its count', async (t) => {
    const base = `http://127.0.0.1:${box.httpPort}`;
    const stop = new AbortController();
    const load = runCardLoad(base, 20, stop.signal);
    let deploy: Awaited<ReturnType<Sandbox['cli']>> | undefined;
    let jobId = '';
    try {
      const startedAt = Date.now();
      const deploying = box.cli(['deploy', 'v2', '--json']);
      // The bulk job starts as the worker's deploy does: once the first v2 worker connects, while
      // the v1 workers still run, so chunks are written by both releases.
      await waitFor(
        'a v2 worker to start',
        async () => {
          const { rows } = await box.db.pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'card-generation-v2.worker%'`,
          );
          return rows.length > 0 ? true : undefined;
        },
        120_000,
        100,
      );
      const created = await fetch(`${base}/api/v1/cards/bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': '"e2e-bulk"' },
        body: JSON.stringify({ network: 'visa', count: BULK_CARDS }),
      });
      assert.equal(created.status, 202);
      jobId = ((await created.json()) as { job: { id: string } }).job.id;
      deploy = await deploying;
      t.diagnostic(`cutover deploy v2 took ${Date.now() - startedAt} ms`);
      await sleep(1_000);
    } finally {
      stop.abort();
    }
    const result = await load;
    const record = JSON.parse(deploy?.stdout || '{}').deployment;
    assert.equal(record?.state, 'succeeded', `deploy: ${deploy?.stdout.slice(-3000)}\n${deploy?.stderr.slice(-2000)}`);
    t.diagnostic(`${result.sent} requests, ${result.ok} ok, ${result.failures.length} failed`);
    assert.deepEqual(result.failures.slice(0, 5), []);
    assert.ok(result.ok >= 200, `enough requests: ${result.ok}`);

    const job = await waitFor(
      'the bulk job to finish',
      async () => {
        const response = await fetch(`${base}/api/v1/jobs/${jobId}`);
        const body = (await response.json()) as { job: { state: string; done: number } };
        return ['completed', 'failed', 'cancelled'].includes(body.job.state) ? body.job : undefined;
      },
      120_000,
      250,
    );
    assert.equal(job.state, 'completed');
    assert.equal(job.done, BULK_CARDS);
    const { rows } = await box.db.pool.query(
      `SELECT count(*)::int AS cards, count(DISTINCT counter)::int AS counters, count(DISTINCT pan_hash)::int AS pans,
              (max(counter) - min(counter) + 1)::int AS span
         FROM cards WHERE job_id = $1`,
      [jobId],
    );
    assert.deepEqual(rows[0], { cards: BULK_CARDS, counters: BULK_CARDS, pans: BULK_CARDS, span: BULK_CARDS }, 'no duplicate, no gap');
    const writers = await box.db.pool.query('SELECT DISTINCT worker FROM bulk_job_chunks WHERE job_id = $1', [jobId]);
    t.diagnostic(`chunks written by ${writers.rows.map((r) => r.worker).join(', ')}`);
    assert.ok(
      writers.rows.some((r) => String(r.worker).includes('v1')) && writers.rows.some((r) => String(r.worker).includes('v2')),
      `the job ran across the worker deploy (old and new workers wrote chunks): ${writers.rows.map((r) => r.worker).join(', ')}`,
    );

    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    assert.equal(status.serving, 'v2');
    const instances = status.instances.map(
      (i: { spec: { release: string; processType: string } }) => `${i.spec.processType}@${i.spec.release}`,
    );
    assert.deepEqual(instances.sort(), ['api@v2', 'api@v2', 'worker@v2', 'worker@v2']);
    const uniqueness = await fetch(`${base}/api/v1/admin/uniqueness`);
    assert.equal(uniqueness.status, 200);
  });
});
