/**
 * Create-payment throughput and latency of the payment system reference service, deployed by cutover.
 *
 * Both services start with `cutover up` (one agent, two instances each, the real cutover.yml files
 * with test ports and databases). A registered user's access token is then used by a closed-loop
 * generator: `connections` keep-alive connections, each sending POST /payments/ with a new
 * Idempotency-Key as soon as its previous answer arrived. Each request verifies an EdDSA token,
 * claims the key in PostgreSQL, inserts the payment and stores the response for replay.
 * Scenarios: through the proxy (both instances), straight to one instance (what the proxy costs),
 * and replays of one key through the proxy (the idempotent-retry path).
 * Run: node bench/payment-create.bench.ts [durationSec=10]   (PostgreSQL and Redis on 127.0.0.1)
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createSystemSandbox, type SystemSandbox } from '../services/payment-system/test/support/system-sandbox.ts';
import { machine, writeResults } from './support/results-file.ts';

const durationSec = Number(process.argv[2] ?? 10);
const WARMUP_MS = 2_000;

interface Row {
  scenario: string;
  connections: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Network errors and statuses other than the expected one. */
  failed: number;
}

function post(agent: Agent, base: URL, path: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: 'POST',
        path,
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Closed loop for WARMUP_MS (not counted), then `durationSec` measured. */
async function closedLoop(
  scenario: string,
  baseUrl: string,
  path: string,
  connections: number,
  token: string,
  key: () => string,
  expectStatus: number,
): Promise<Row> {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const body = JSON.stringify({ amount: 4200, currency: 'EUR', description: 'bench' });
  const latencies: number[] = [];
  let failed = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  const end = warmEnd + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const startedAt = performance.now();
      let ok = false;
      try {
        ok = (await post(agent, base, path, body, { authorization: `Bearer ${token}`, 'idempotency-key': `"${key()}"` })) === expectStatus;
      } catch {
        ok = false;
      }
      if (startedAt < warmEnd) continue;
      if (ok) latencies.push(performance.now() - startedAt);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Number(ms.toFixed(1));
  return {
    scenario,
    connections,
    requests: latencies.length + failed,
    reqPerSec: Math.round(latencies.length / durationSec),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
    failed,
  };
}

function printTable(rows: Row[]): void {
  const header = ['scenario', 'conns', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'failed'];
  const lines = rows.map((r) => [r.scenario, r.connections, r.requests, r.reqPerSec, r.p50Ms, r.p99Ms, r.maxMs, r.failed].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  let box: SystemSandbox | undefined;
  try {
    console.log('starting the payment system with cutover (auth and payments, two instances each)...');
    box = await createSystemSandbox({ label: 'bench', releases: ['v1'], pauseMs: '0s' });
    for (const service of ['auth', 'payments'] as const) {
      const up = await box.cli(service, ['up', '--release', 'v1']);
      if (up.code !== 0) throw new Error(`cutover up ${service} failed:\n${up.stdout}\n${up.stderr}`);
    }
    const proxy = `http://127.0.0.1:${box.httpPort}`;
    const email = 'bench@example.com';
    const password = 'a long enough passphrase';
    const json = (path: string, body: unknown) =>
      fetch(`${proxy}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if ((await json('/auth/register', { email, password })).status !== 201) throw new Error('register failed');
    const login = (await (await json('/auth/login', { email, password })).json()) as { access_token: string };
    const token = login.access_token;
    const status = JSON.parse((await box.cli('payments', ['status', '--json'])).stdout) as { instances: { port: number }[] };
    const direct = `http://127.0.0.1:${status.instances[0].port}`;
    const replayKey = randomUUID();

    const rows: Row[] = [];
    for (const connections of [8, 32]) {
      rows.push(await closedLoop('create via proxy (2 instances)', proxy, '/payments/', connections, token, randomUUID, 201));
    }
    rows.push(await closedLoop('create direct (1 instance)', direct, '/', 8, token, randomUUID, 201));
    rows.push(await closedLoop('replayed create via proxy', proxy, '/payments/', 8, token, () => replayKey, 201));

    console.log(`\nCreate payment, closed loop, ${durationSec} s per row after ${WARMUP_MS / 1000} s of warm-up (${machine().cpus} cores)`);
    printTable(rows);
    const { rows: duplicates } = await box.paymentsDb.pool.query(
      'SELECT count(*)::int AS n FROM (SELECT 1 FROM payments GROUP BY owner, idempotency_key HAVING count(*) > 1) d',
    );
    console.log(`duplicate payments per idempotency key: ${duplicates[0].n}`);
    console.log(`results: ${writeResults('payment-create', { machine: machine(), durationSec, rows })}`);
  } finally {
    await box?.cleanup();
  }
}

await main();
