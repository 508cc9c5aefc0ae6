// The serialization service's three benchmark figures (issue 12), each beside an anchor in the
// same run, against a throwaway database migrated by `cutover migrate up`:
//   1. serials generated per second from one pattern through 3 instances (child processes, HTTP,
//      batches of SERIAL_BATCH_SIZE), anchor: the same generation in-process without HTTP;
//      target 10,000/s
//   2. a made-of query over a 50-level, 10,000-node genealogy (p50/p99 of the made-of route's body
//      from genealogy_reach, and of traverse()'s node objects);
//      anchor: a where-used query from a leaf (50 rows); target p99 < 20 ms
//   3. audit write overhead per request: a vendor receipt's transaction with and without its audit
//      event (hash chain trigger included)
// Loopback only, bounded in time; everything it starts is stopped. Prints a table and `uptime`.
//   node bench/serialization.bench.ts [--seconds 10] [--clients 12] [--batch 1000] [--only generate,made-of,audit] [--runs 100]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestDatabase, processCpuSeconds } from '@cutover/service-kit/testing';
import { SignJWT } from 'jose';
import pg from 'pg';
import { writeAudit } from '../services/serialization/src/audit/audit-writer.ts';
import { POSTGRES_SESSION_OPTIONS } from '../services/serialization/src/db/session-options.ts';
import { withTransaction } from '../services/serialization/src/db/with-transaction.ts';
import { madeOfBody, madeOfListing } from '../services/serialization/src/genealogy/genealogy-reach.ts';
import { createGenealogyStore, traverse } from '../services/serialization/src/genealogy/genealogy-store.ts';
import { generateSerials } from '../services/serialization/src/patterns/generate-serials.ts';
import { findPattern } from '../services/serialization/src/patterns/pattern-store.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '12' },
    batch: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'generate,made-of,audit' },
    runs: { type: 'string', default: '100' },
  },
});
const ONLY = new Set(values.only.split(','));
for (const part of ONLY)
  if (!['generate', 'made-of', 'audit'].includes(part)) throw new Error(`--only: unknown part ${part} (generate, made-of, audit)`);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const RUNS = Number(values.runs);
const ROOT = new URL('../', import.meta.url).pathname;
const SERVICE = join(ROOT, 'services/serialization');
const SECRET = randomBytes(32).toString('hex');
const actor = { subject: 'bench', requestId: 'bench' };

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
/** CPU seconds (user + system) a process used so far (0 when it is gone or not on Linux). */
const cpuSeconds = (pid: number | undefined): number => (pid === undefined ? 0 : (processCpuSeconds(pid) ?? 0));
/**
 * CPU seconds the server processes of the bench database used between start() and stop(): sampled
 * every 200 ms, so that a backend a pool opens or closes meanwhile still counts (to within a sample).
 */
const serverCpu = () => {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async () => {
    const { rows } = await db.pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db.name]);
    for (const { pid } of rows) {
      const cpu = cpuSeconds(pid);
      if (cpu === 0) continue;
      if (!first.has(pid)) first.set(pid, started ? 0 : cpu);
      last.set(pid, cpu);
    }
  };
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    start: async () => {
      await sample();
      started = true;
      timer = setInterval(() => void sample().catch(() => undefined), 200);
    },
    stop: async () => {
      clearInterval(timer);
      await sample();
      let total = 0;
      for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? 0);
      return total;
    },
  };
};
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const db = await createTestDatabase('bench', { prefix: 'ser', poolMax: 8 });
// The in-process figures use connections set up as the service's are (src/db/session-options.ts).
const service = new pg.Pool({ connectionString: db.url, max: 8, options: POSTGRES_SESSION_OPTIONS });
const children: ChildProcess[] = [];
const stopAll = async () => {
  await service.end().catch(() => undefined);
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
  );
  await db.drop();
};
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
const timeBound = setTimeout(() => void stopAll().then(() => process.exit(124)), (SECONDS * 3 + 240) * 1000);
timeBound.unref();

try {
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-'));
  writeFileSync(
    join(dir, 'cutover.yml'),
    `service: ser-bench\nprocesses: { web: { command: "true" } }\nmigrations: { directory: ${JSON.stringify(join(SERVICE, 'migrations'))}, databaseUrlEnv: BENCH_DATABASE_URL }\n`,
  );
  execFileSync(process.execPath, [join(ROOT, 'packages/cutover/bin/cutover.js'), 'migrate', 'up', '--config', join(dir, 'cutover.yml')], {
    env: { ...process.env, BENCH_DATABASE_URL: db.url },
    stdio: 'pipe',
  });
  rmSync(dir, { recursive: true, force: true });
  await db.pool.query(
    "INSERT INTO serial_patterns (id, name, template, sequence_base, sequence_max, reset_rule, check_algorithm) VALUES ('bench', 'bench', 'B{SEQ:8}{CHECK}', 36, 2821109907455, 'never', 'iso7064-mod37-2')",
  );

  const table: string[] = [];
  const f = (v: number) => v.toFixed(2);

  // 1. Generation through 3 instances.
  if (ONLY.has('generate')) {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      REDIS_KEY_PREFIX: `ser-bench:${randomBytes(3).toString('hex')}:`,
      JWT_SECRET: SECRET,
      DB_POOL_SIZE: '6',
      SERIAL_BATCH_SIZE: String(BATCH),
    };
    const ports = await Promise.all([0, 1, 2].map(() => freePort()));
    for (const port of ports)
      children.push(spawn(process.execPath, [join(SERVICE, 'src/main.ts')], { env: { ...env, APP_PORT: String(port) }, stdio: 'ignore' }));
    for (const port of ports) {
      for (let i = 0; ; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 300) throw new Error(`instance on ${port} did not become healthy`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scope: 'serialization:read serialization:write' })
      .setProtectedHeader({ alg: 'HS256', kid: 'jwt-secret', typ: 'at+jwt' })
      .setIssuer('serialization')
      .setAudience('serialization-api')
      .setSubject('bench')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(SECRET));
    // Warm the pools so that every server backend exists before the CPU clock starts.
    for (const port of ports)
      await fetch(`http://127.0.0.1:${port}/api/v1/serialization/patterns/bench/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ partId: 'WARM', count: 1 }),
      });
    const httpServerCpu = serverCpu();
    await httpServerCpu.start();
    const instancesCpuBefore = children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0);
    let httpSerials = 0;
    let httpErrors = 0;
    const httpLatencies: number[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const port = ports[(c + i) % ports.length];
          const t0 = performance.now();
          const response = await fetch(`http://127.0.0.1:${port}/api/v1/serialization/patterns/bench/generate`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ partId: 'BENCH', count: BATCH }),
          });
          const body = (await response.json()) as { serials?: unknown[] };
          httpLatencies.push(performance.now() - t0);
          if (response.status === 201) httpSerials += body.serials?.length ?? 0;
          else httpErrors++;
        }
      }),
    );
    const httpSeconds = (performance.now() - started) / 1000;
    const httpCpu = {
      instances: children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0) - instancesCpuBefore,
      server: await httpServerCpu.stop(),
    };
    for (const child of children) child.kill('SIGTERM');

    // Anchor: the same generation in-process, no HTTP, the same number of concurrent generators.
    const pattern = await findPattern(db.pool, 'bench');
    if (!pattern) throw new Error('pattern missing');
    const directServerCpu = serverCpu();
    await directServerCpu.start();
    const directCpuBefore = process.cpuUsage();
    let directSerials = 0;
    const directDeadline = Date.now() + SECONDS * 1000;
    const directStarted = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < directDeadline) {
          const result = await withTransaction(service, (client) =>
            generateSerials(client, {
              pattern,
              partId: 'DIRECT',
              count: BATCH,
              scope: 'part',
              actor,
              batchSize: BATCH,
              auditBatchSize: 500,
            }),
          );
          if (result.ok) directSerials += result.serials.length;
        }
      }),
    );
    const directSeconds = (performance.now() - directStarted) / 1000;
    const selfCpu = process.cpuUsage(directCpuBefore);
    const directCpu = { self: (selfCpu.user + selfCpu.system) / 1e6, server: await directServerCpu.stop() };
    const perSerial = (seconds: number, serials: number) => `${((seconds / Math.max(1, serials)) * 1e6).toFixed(0)} µs`;
    httpLatencies.sort((a, b) => a - b);
    table.push(
      `| serials/s, 1 pattern, 3 instances over HTTP | ${Math.round(httpSerials / httpSeconds)} (request p50 ${f(pct(httpLatencies, 0.5))} ms, p99 ${f(pct(httpLatencies, 0.99))} ms, ${httpErrors} errors) | in-process, 8 generators: ${Math.round(directSerials / directSeconds)}/s | 10,000/s |`,
      `| CPU per serial (10 ms ticks of /proc) | instances ${perSerial(httpCpu.instances, httpSerials)} + PostgreSQL ${perSerial(httpCpu.server, httpSerials)} | in-process: node ${perSerial(directCpu.self, directSerials)} + PostgreSQL ${perSerial(directCpu.server, directSerials)}; HTTP/in-process throughput ratio ${(httpSerials / httpSeconds / (directSerials / directSeconds)).toFixed(2)} | — |`,
    );
  }

  if (ONLY.has('made-of')) {
    // 2. A 50-level genealogy of 10,000 nodes: one root, then 50 levels of 200 nodes, each node
    // made of... its parent one level up (round robin), as a tree of assemblies. The registry is
    // first filled to 100,000 other serials, so that the figure does not depend on how many serials
    // part 1 generated (a plan that scans the registry would grow with it).
    await db.pool.query(
      `INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key)
       SELECT 'system', 'F' || n, 'F' || n, 'FILL', 'part', 'FILL' FROM generate_series(1, greatest(0, 100000 - (SELECT count(*) FROM serials))) AS n`,
    );
    await db.pool.query(
      `INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key)
       SELECT 'system', 'G' || n, 'G' || n, 'GEN', 'part', 'GEN' FROM generate_series(0, 10000) AS n`,
    );
    await db.pool.query(
      `INSERT INTO serial_propagations (serial_id, parent_serial_id, child_serial_id, created_by)
       SELECT p.id, p.id, c.id, 'bench'
         FROM generate_series(1, 10000) AS n
         JOIN serials c ON c.normalized_serial = 'G' || n
         JOIN serials p ON p.normalized_serial = 'G' || CASE WHEN n <= 200 THEN 0 ELSE n - 200 END`,
    );
    // Vacuumed and analyzed as autovacuum leaves a table some time after a bulk insert (statistics
    // of every table the listing reads, and pages marked all-visible for index-only scans).
    await db.pool.query('VACUUM (ANALYZE) serials, serial_propagations, genealogy_reach');
    const time = async (fn: () => Promise<unknown>, runs: number) => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await fn();
        ms.push(performance.now() - t0);
      }
      return ms.sort((a, b) => a - b);
    };
    const { rows: ids } = await db.pool.query<{ id: string; normalized_serial: string }>(
      "SELECT id, normalized_serial FROM serials WHERE normalized_serial IN ('G0', 'G10000')",
    );
    const root = ids.find((r) => r.normalized_serial === 'G0')?.id as string;
    const leaf = ids.find((r) => r.normalized_serial === 'G10000')?.id as string;
    const sample = await traverse(service, root, 'down', 50);
    // What the made-of route answers, read from the database (no listing kept): the body text.
    const answer = async () => madeOfBody(root, await madeOfListing(service, root, 50));
    const measure = async (fn: () => Promise<unknown>) => {
      await fn();
      const server = serverCpu();
      await server.start();
      const node = process.cpuUsage();
      const ms = await time(fn, RUNS);
      const nodeCpu = process.cpuUsage(node);
      return { ms, node: (nodeCpu.user + nodeCpu.system) / 1e6 / RUNS, server: (await server.stop()) / RUNS };
    };
    const body = await measure(answer);
    const objects = await measure(() => traverse(service, root, 'down', 50));
    const whereUsed = await time(() => traverse(service, leaf, 'up', 50), RUNS);
    // The same made-of through the service's store, the listing kept in memory while the genealogy
    // is unchanged (SERIAL_GENEALOGY_CACHE_NODES at its default): what repeated reads cost.
    const store = createGenealogyStore(service, { depthLimit: 50, cacheNodes: 200_000 });
    await store.madeOf(root);
    const keptNode = process.cpuUsage();
    const kept = await time(() => store.madeOf(root), RUNS);
    const keptNodeCpu = process.cpuUsage(keptNode);

    table.push(
      `| made-of, 50 levels, ${sample.nodes.length} nodes (registry of 110,001 serials), from the database to the answer's body | p50 ${f(pct(body.ms, 0.5))} ms, p99 ${f(pct(body.ms, 0.99))} ms; CPU per query: node ${f(body.node * 1000)} ms + PostgreSQL ${f(body.server * 1000)} ms | where-used from a leaf (50 rows): p50 ${f(pct(whereUsed, 0.5))} ms, p99 ${f(pct(whereUsed, 0.99))} ms | p99 < 20 ms |`,
      `| the same made-of as ${sample.nodes.length} node objects (traverse()) | p50 ${f(pct(objects.ms, 0.5))} ms, p99 ${f(pct(objects.ms, 0.99))} ms; CPU per query: node ${f(objects.node * 1000)} ms + PostgreSQL ${f(objects.server * 1000)} ms | — | — |`,
      `| made-of again, genealogy unchanged (listing kept in memory; one version read) | p50 ${f(pct(kept, 0.5))} ms, p99 ${f(pct(kept, 0.99))} ms; node CPU per query ${f((keptNodeCpu.user + keptNodeCpu.system) / 1e3 / RUNS)} ms | the uncached made-of above (every first read after a change) | p99 < 20 ms |`,
    );
  }

  if (ONLY.has('audit')) {
    // 3. Audit overhead: a receipt-sized transaction with and without its audit event.
    const receipt = async (audit: boolean, i: number) =>
      withTransaction(service, async (client) => {
        await client.query(
          "INSERT INTO serials (source, serial_number, normalized_serial, part_id, vendor_key, scope_type, scope_key) VALUES ('vendor', $1, $1, 'AUD', 'v', 'part', 'AUD')",
          [`A${audit ? 'Y' : 'N'}${i}`],
        );
        if (audit)
          await writeAudit(client, [
            {
              eventType: 'vendor_serial:received',
              entityType: 'vendor_serial',
              serialNumber: `AY${i}`,
              partId: 'AUD',
              performedBy: 'bench',
              after: { status: 'received' },
            },
          ]);
      });
    const without: number[] = [];
    const withAudit: number[] = [];
    for (let i = 0; i < 400; i++) {
      const t0 = performance.now();
      await receipt(false, i);
      without.push(performance.now() - t0);
      const t1 = performance.now();
      await receipt(true, i);
      withAudit.push(performance.now() - t1);
    }
    without.sort((a, b) => a - b);
    withAudit.sort((a, b) => a - b);
    const mean = (list: number[]) => list.reduce((s, v) => s + v, 0) / list.length;

    table.push(
      `| audit write per request | +${f(mean(withAudit) - mean(without))} ms mean (${f(mean(withAudit))} vs ${f(mean(without))} ms; p99 ${f(pct(withAudit, 0.99))} vs ${f(pct(without, 0.99))} ms) | the same transaction without its audit event | — |`,
    );
  }

  console.log(
    `\nserialization bench (${[...ONLY].join(', ')}; ${SECONDS} s per load, ${CLIENTS} HTTP clients, batches of ${BATCH}, ${RUNS} made-of queries), load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('| figure | value | anchor | target |');
  console.log('|---|---|---|---|');
  for (const row of table) console.log(row);
  console.log(`\nuptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
} finally {
  clearTimeout(timeBound);
  await stopAll();
}
