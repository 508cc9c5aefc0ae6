/**
 * The card-generation service against the guide's targets, on PostgreSQL and Redis of 127.0.0.1.
 *
 *  1. bulk: one job of 1,000,000 cards (POST /api/v1/cards/bulk) written by 2 worker processes
 *     (the cutover.yml default), from the POST to `completed`; then 0 duplicates counted in SQL.
 *     Target: under 15 s.
 *  2. validate:uniqueness over those cards (the npm script, as a process). Target: under 10 s.
 *  3. POST /api/v1/cards (one card) through cutover's proxy with 2 api instances (`cutover up`
 *     with the real cutover.yml), at --rate req/s for --duration s: p99 (target under 20 ms at 500
 *     req/s); the anchor: the same load straight to one api instance, in the same run. The rate is
 *     autocannon's -R, which is not an even open loop: each of the 20 connections sends its share
 *     (rate / 20) back to back at the start of every second, then waits for the next second, so every
 *     second begins with a burst at 20 requests in flight. The floor rows put the same load on
 *     GET /health/liveness (answers from memory), direct and through the proxy: what the load
 *     generator, the HTTP hops and the machine take by themselves, without any card work. The even
 *     open loop rows send the same rate evenly spaced (bench/support/open-loop-client.ts: one request
 *     every 1000 / rate ms, latency from the time it was due), direct and through the proxy.
 *     Then closed loop (autocannon, 20 connections) for the maximum req/s through the proxy.
 * Load average is printed before and after each part (other work on the machine shows in it).
 * Run: node bench/card-generation.bench.ts [--cards 1000000] [--rate 500] [--duration 20] [--only bulk,validate,proxy]
 *      [--worker-node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] (NODE_OPTIONS of the bulk workers, to profile them)
 *      [--validate-node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] (NODE_OPTIONS of validate:uniqueness)
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { processCpuSeconds, type ServiceProcess, startServiceProcess, waitFor } from '@cutover/service-kit/testing';
import { runLoadTest } from '../services/card-generation/src/ops/load-test.ts';
import { cardEnv } from '../services/card-generation/test/support/card-env.ts';
import { SERVICE_DIR } from '../services/card-generation/test/support/paths.ts';
import { redisPrefix } from '../services/card-generation/test/support/redis-prefix.ts';
import { createSandbox } from '../services/card-generation/test/support/sandbox.ts';
import { createMigratedDatabase } from '../services/card-generation/test/support/test-database.ts';
import { machine, writeResults } from './support/results-file.ts';

const exec = promisify(execFile);
const AUTOCANNON = `${SERVICE_DIR}../../node_modules/autocannon/autocannon.js`;
const OPEN_LOOP_CLIENT = fileURLToPath(new URL('./support/open-loop-client.ts', import.meta.url));
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const CARDS = Number(arg('cards', '1000000'));
const RATE = Number(arg('rate', '500'));
const DURATION_S = Number(arg('duration', '20'));
const ONLY = arg('only', 'bulk,validate,proxy').split(',');
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const results: Record<string, unknown> = { machine: machine() };

if (ONLY.includes('bulk') || ONLY.includes('validate')) {
  const db = await createMigratedDatabase('bench');
  const redis = redisPrefix('bench');
  const env = cardEnv(db.url, redis.prefix, { BULK_CHUNK_SIZE: '20000', BULL_QUEUE_CONCURRENCY: '2', PG_POOL_MAX: '8' });
  const processes: ServiceProcess[] = [];
  try {
    const workerNodeOptions = arg('worker-node-options', '');
    const workerEnv = workerNodeOptions ? { ...env, NODE_OPTIONS: workerNodeOptions } : env;
    processes.push(
      await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'api', env }),
      await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'worker', env: workerEnv }),
      await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'worker', env: workerEnv }),
    );
    const api = processes[0].url;
    const workerCpu = () => processes.slice(1).reduce((sum, p) => sum + (processCpuSeconds(p.child.pid ?? 0) ?? 0), 0);
    // What the workers spent starting up (module loading, connections) is not the job's.
    const workerCpuAtStart = workerCpu();
    const loadBefore = load();
    const startedAt = performance.now();
    const created = await fetch(`${api}/api/v1/cards/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ network: 'visa', count: CARDS }),
    });
    const jobId = ((await created.json()) as { job: { id: string } }).job.id;
    const job = await waitFor(
      'the bulk job',
      async () => {
        const body = (await (await fetch(`${api}/api/v1/jobs/${jobId}`)).json()) as { job: { state: string; done: number } };
        return body.job.state === 'running' || body.job.state === 'queued' ? undefined : body.job;
      },
      600_000,
      50,
    );
    const bulkMs = Math.round(performance.now() - startedAt);
    // CPU the job cost, whatever else the machine runs: the two worker processes since the POST and
    // the PostgreSQL backends of their pools (opened for the job; WAL writer and checkpointer not counted).
    const { rows: backends } = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'card-generation-worker%'`,
    );
    const cpuSeconds = {
      workers: workerCpu() - workerCpuAtStart,
      workersStartUp: workerCpuAtStart,
      postgresBackends: backends.reduce((sum, b) => sum + (processCpuSeconds(b.pid) ?? 0), 0),
    };
    const { rows } = await db.pool.query('SELECT count(*)::int AS cards, count(DISTINCT pan_hash)::int AS distinct_pans FROM cards');
    const bulk = {
      cards: CARDS,
      state: job.state,
      durationMs: bulkMs,
      cardsPerSecond: Math.round(CARDS / (bulkMs / 1000)),
      ...rows[0],
      duplicates: rows[0].cards - rows[0].distinct_pans,
      cpuSeconds,
      loadBefore,
      loadAfter: load(),
    };
    results.bulk = bulk;
    console.log(
      `bulk: ${CARDS} cards in ${bulkMs} ms (${bulk.cardsPerSecond}/s), state ${job.state}, duplicates ${bulk.duplicates}; CPU s: workers ${cpuSeconds.workers.toFixed(1)} (start-up before it ${cpuSeconds.workersStartUp.toFixed(1)}), their postgres backends ${cpuSeconds.postgresBackends.toFixed(1)}; load ${loadBefore} -> ${bulk.loadAfter}`,
    );
    await Promise.all(processes.map((p) => p.stop()));
    processes.length = 0;
    if (ONLY.includes('validate')) {
      const validateNodeOptions = arg('validate-node-options', '');
      const validateLoadBefore = load();
      const validateStartedAt = performance.now();
      const { stdout } = await exec(process.execPath, ['src/ops/validate-uniqueness.ts', '--json'], {
        cwd: SERVICE_DIR,
        env: { PATH: process.env.PATH ?? '', ...env, ...(validateNodeOptions ? { NODE_OPTIONS: validateNodeOptions } : {}) },
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const wallMs = Math.round(performance.now() - validateStartedAt);
      const report = JSON.parse(stdout);
      results.validate = {
        cards: report.cards,
        ok: report.ok,
        checkMs: report.durationMs,
        wallMs,
        cpuSeconds: report.cpuSeconds,
        loadBefore: validateLoadBefore,
        loadAfter: load(),
      };
      console.log(
        `validate:uniqueness: ${report.cards} cards, ok ${report.ok}, check ${report.durationMs} ms (process wall ${wallMs} ms), CPU s ${JSON.stringify(report.cpuSeconds)}; load ${validateLoadBefore} -> ${load()}`,
      );
    }
  } finally {
    await Promise.all(processes.map((p) => p.kill()));
    await db.drop();
    await redis.cleanup();
  }
}

if (ONLY.includes('proxy')) {
  const box = await createSandbox({ label: 'bench', versions: ['v1'], env: { LOG_LEVEL: 'warn' } });
  try {
    const up = await box.cli(['up', '--release', 'v1']);
    if (up.code !== 0) throw new Error(`cutover up: ${up.stdout}\n${up.stderr}`);
    const status = JSON.parse((await box.cli(['status', '--json'])).stdout);
    const apiInstances = status.instances.filter((i: { spec: { processType: string } }) => i.spec.processType === 'api');
    const apiInstance = apiInstances[0];
    // CPU (user + sys) of the api instances per request: what one request costs the service, whatever the load.
    const apiCpu = () => apiInstances.reduce((sum: number, i: { pid: number | null }) => sum + (processCpuSeconds(i.pid ?? 0) ?? 0), 0);
    const direct = `http://127.0.0.1:${apiInstance.port}`;
    const proxy = `http://127.0.0.1:${box.httpPort}`;
    // Warm both paths (JIT, pools, counter blocks).
    await runLoadTest({ url: proxy, rate: 200, durationS: 3, connections: 10, network: 'visa' });
    const rows: Record<string, unknown>[] = [];
    type Measured = { requests: number; failed: number; requestsPerSecond: number; latencyMs: Record<string, number> };
    /** Keeps a scenario's row (with the api's CPU per request when cpuBefore is given) and prints it. */
    const report = (scenario: string, r: Measured, before: string, cpuBefore?: number) => {
      const apiCpuUsPerRequest =
        cpuBefore === undefined ? undefined : r.requests > 0 ? Math.round(((apiCpu() - cpuBefore) * 1e6) / r.requests) : null;
      const loadAfter = load();
      rows.push({ scenario, ...r, ...(cpuBefore === undefined ? {} : { apiCpuUsPerRequest }), loadBefore: before, loadAfter });
      const cpu = cpuBefore === undefined ? '' : `; api CPU ${apiCpuUsPerRequest} us/request`;
      console.log(
        `${scenario}: ${r.requestsPerSecond} req/s at ${RATE}/s target, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms, ${r.failed} failed${cpu}; load ${before} -> ${loadAfter}`,
      );
    };
    for (const [scenario, url] of [
      ['direct to one api instance (anchor)', direct],
      ['through the proxy, 2 api instances', proxy],
    ] as const) {
      const before = load();
      const cpuBefore = apiCpu();
      const r = await runLoadTest({ url, rate: RATE, durationS: DURATION_S, connections: 20, network: 'visa' });
      report(scenario, r, before, cpuBefore);
    }
    // The same rate evenly spaced (one request every 1000 / rate ms, latency from the time it was due).
    for (const [scenario, url] of [
      ['even open loop, direct to one api instance', direct],
      ['even open loop, through the proxy, 2 api instances', proxy],
    ] as const) {
      const before = load();
      const cpuBefore = apiCpu();
      const { stdout } = await exec(
        process.execPath,
        [
          OPEN_LOOP_CLIENT,
          '--url',
          `${url}/api/v1/cards`,
          '--method',
          'POST',
          '--body',
          JSON.stringify({ network: 'visa', count: 1 }),
          '--rate',
          String(RATE),
          '--duration',
          String(DURATION_S),
        ],
        { timeout: (DURATION_S + 60) * 1000 },
      );
      report(scenario, JSON.parse(stdout) as Measured, before, cpuBefore);
    }
    // The floor: the same load on a route that does no work, so that what is the service's shows.
    for (const [scenario, url] of [
      ['floor: GET /health/liveness direct to one api instance', direct],
      ['floor: GET /health/liveness through the proxy', proxy],
    ] as const) {
      const before = load();
      const { stdout } = await exec(
        process.execPath,
        [AUTOCANNON, '-j', '-R', String(RATE), '-c', '20', '-d', String(DURATION_S), `${url}/health/liveness`],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const r = JSON.parse(stdout);
      report(
        scenario,
        {
          requests: r.requests.total,
          requestsPerSecond: Math.round(r.requests.total / DURATION_S),
          latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
          failed: r.errors + r.timeouts + r.non2xx,
        },
        before,
      );
    }
    const before = load();
    const { stdout } = await exec(
      process.execPath,
      [
        AUTOCANNON,
        '-j',
        '-m',
        'POST',
        '-H',
        'content-type=application/json',
        '-b',
        '{"network":"visa","count":1}',
        '-c',
        '20',
        '-d',
        '10',
        `${proxy}/api/v1/cards`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const closed = JSON.parse(stdout);
    rows.push({
      scenario: 'through the proxy, closed loop (max)',
      requestsPerSecond: closed.requests.average,
      p99: closed.latency.p99,
      failed: closed.errors + closed.non2xx,
      loadBefore: before,
      loadAfter: load(),
    });
    console.log(
      `through the proxy, closed loop, 20 connections: ${closed.requests.average} req/s, p50 ${closed.latency.p50} ms, p99 ${closed.latency.p99} ms, ${closed.errors + closed.non2xx} failed; load ${before} -> ${load()}`,
    );
    results.proxy = rows;
  } finally {
    await box.cleanup();
  }
}

console.log(`results: ${writeResults('card-generation', results)}`);
