// `npm run load -w services/messaging [-- --rate 5000 --duration 20 ...]`: starts the api and the
// consumer as real processes on loopback (own database, own Redis prefix; with --redis-cluster a
// three-master Redis Cluster of its own, stopped at the end), offers messages at a
// fixed rate, samples partition lag while it runs, waits for the consumers to drain, then counts
// rows against accepted ids. Prints the figures against the guide's criteria and our targets;
// exits 1 when a message was lost or duplicated (performance misses are reported, not fatal).
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  processCpuSeconds,
  type RedisCluster,
  type ServiceProcess,
  startRedisCluster,
  startServiceProcess,
} from '@cutover/service-kit/testing';
import { Cluster, Redis } from 'ioredis';
import { flatToObject, type RedisClient } from '../../src/redis/create-redis.ts';
import { execBySlot } from '../../src/redis/pipeline-by-slot.ts';
import { buildStreamKeys, PERSISTENCE_GROUP, partitionList } from '../../src/streams/stream-keys.ts';
import { SERVICE_DIR } from '../support/paths.ts';
import { redisPrefix, TEST_REDIS_URL } from '../support/redis-prefix.ts';
import { createMigratedDatabase } from '../support/test-database.ts';
import { sleep } from '../support/wait-for.ts';
import { formatLoadReport, judgeLoad, type LoadFigures, percentile } from './load-report.ts';
import { runPaced } from './paced-sender.ts';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    /** Messages per request: 1 sends POST /api/messages, more send POST /api/messages/batch (--rate stays messages/s). */
    'per-request': { type: 'string', default: '1' },
    api: { type: 'string', default: '2' },
    consumers: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '100' },
    conversations: { type: 'string', default: '1000' },
    'drain-timeout': { type: 'string', default: '60' },
    /** Reach PostgreSQL through this Unix-socket directory instead of TCP (e.g. /var/run/postgresql). */
    'pg-socket': { type: 'string' },
    /** Extra service environment, KEY=VALUE, repeatable (e.g. --env INGRESS_FLUSH_CONCURRENCY=8). */
    env: { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
    /** Start a local three-master Redis Cluster (redis-server on reserved ports) and run against it. */
    'redis-cluster': { type: 'boolean', default: false },
  },
});
const extraEnv = Object.fromEntries(
  (args.env ?? []).map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env wants KEY=VALUE, got ${pair}`);
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const rate = Number(args.rate);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const conversations = Number(args.conversations);
const perRequest = Number(args['per-request']);
if (!Number.isInteger(perRequest) || perRequest < 1 || perRequest > 100) throw new Error('--per-request wants 1 to 100 messages');
/** Hard limit on the whole run, whatever the options. */
const RUN_LIMIT_MS = (warmupS + durationS + Number(args['drain-timeout']) + 120) * 1000;

const hardStop = setTimeout(() => {
  process.stderr.write(`load test exceeded ${RUN_LIMIT_MS} ms; giving up\n`);
  // The api and consumer processes would outlive this one otherwise.
  for (const p of processes) p.child.kill('SIGKILL');
  process.exit(2);
}, RUN_LIMIT_MS);
hardStop.unref();

const loadBefore = loadavg()[0];
const startedAt = new Date().toISOString();
const command = `npm run load -w services/messaging${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const db = await createMigratedDatabase('load');
const prefix = redisPrefix('load');
const processes: ServiceProcess[] = [];
let cluster: RedisCluster | undefined;
let redis: RedisClient | undefined;
let exitCode = 0;
try {
  if (args['redis-cluster']) {
    cluster = await startRedisCluster();
    // Interrupted: exit, so the cluster's servers go with this process (startRedisCluster kills them on exit).
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));
  }
  redis = cluster
    ? new Cluster(cluster.nodes, { redisOptions: { protocol: 2, maxRetriesPerRequest: 1 } })
    : new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const client = redis;
  const keys = buildStreamKeys(prefix.prefix, 16, cluster ? 'cluster' : 'single');
  const databaseUrl = new URL(db.url);
  if (args['pg-socket']) databaseUrl.searchParams.set('host', args['pg-socket']);
  const env = {
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: TEST_REDIS_URL,
    ...(cluster ? { REDIS_CLUSTER_ENABLED: 'true', REDIS_CLUSTER_NODES: cluster.nodesEnv } : {}),
    STREAM_KEY_PREFIX: prefix.prefix,
    LOG_LEVEL: 'warn',
    STREAM_BATCH_SIZE: String(args['batch-size']),
    PG_POOL_MAX: '20',
    SHUTDOWN_DELAY_MS: '0',
    ...extraEnv,
  };
  const apis = await Promise.all(
    Array.from({ length: Number(args.api) }, () => startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'api', env })),
  );
  processes.push(...apis);
  processes.push(
    ...(await Promise.all(
      Array.from({ length: Number(args.consumers) }, () => startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env })),
    )),
  );
  const targets = apis.map((a) => new URL(a.url));

  const accepted = new Map<string, string>();
  const errored = new Set<string>();
  const errorSamples: string[] = [];
  const keyOf = (phase: string, i: number) => `${phase}-${i}`;
  const message = (phase: string, i: number) => ({
    conversationId: `load-conv-${i % conversations}`,
    senderId: `user-${i % 1000}`,
    content: `load test message ${i} of the ${phase} phase`,
    contentType: 'text',
    clientMessageId: keyOf(phase, i),
    recipientIds: [`user-${(i + 1) % 1000}`],
  });
  const answered = (phase: string, i: number, status: number, body: string) => {
    if (status === 201 || status === 200) accepted.set(keyOf(phase, i), JSON.parse(body).messageId);
    else {
      errored.add(keyOf(phase, i));
      if (errorSamples.length < 5) errorSamples.push(`${status}: ${body.slice(0, 200)}`);
    }
  };
  // Request r carries messages r*perRequest ... r*perRequest+perRequest-1; --rate counts messages.
  const send = (phase: string, phaseRate: number, seconds: number) =>
    runPaced({
      targets,
      path: perRequest === 1 ? '/api/messages' : '/api/messages/batch',
      rate: phaseRate / perRequest,
      durationMs: seconds * 1000,
      connections: Number(args.connections),
      body: (r) =>
        perRequest === 1
          ? JSON.stringify(message(phase, r))
          : JSON.stringify({ messages: Array.from({ length: perRequest }, (_, j) => message(phase, r * perRequest + j)) }),
      onAnswer: (r, status, body) => {
        if (perRequest === 1) return answered(phase, r, status, body);
        const results = status === 200 ? (JSON.parse(body).results as { status: number }[]) : undefined;
        for (let j = 0; j < perRequest; j++) {
          const item = results?.[j];
          answered(phase, r * perRequest + j, item ? item.status : status, item ? JSON.stringify(item) : body);
        }
      },
    });

  // Warm-up (JIT, pools, sockets) at a tenth of the rate; its messages are counted for correctness only.
  if (warmupS > 0) await send('warmup', Math.max(1, Math.round(rate / 10)), warmupS);
  const erroredBefore = errored.size;

  let maxPartitionLag = 0;
  let maxTotalLag = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const infos = await execBySlot(
        client,
        partitionList(16).map((p) => ({ key: keys.stream(p), command: 'XINFO', args: ['GROUPS', keys.stream(p)] })),
      );
      const lags = infos.map(([error, groups]) => {
        if (error) return 0;
        const group = (groups as unknown[]).map(flatToObject).find((g) => g.name === PERSISTENCE_GROUP);
        return Number(group?.lag ?? 0);
      });
      maxPartitionLag = Math.max(maxPartitionLag, ...lags);
      maxTotalLag = Math.max(
        maxTotalLag,
        lags.reduce((a, b) => a + b, 0),
      );
      await sleep(250);
    }
  })();
  const consumers = processes.slice(apis.length);
  const cpuOf = (list: ServiceProcess[]) => list.reduce((sum, p) => sum + (processCpuSeconds(p.child.pid ?? 0) ?? 0), 0);
  const redisCpu = () => (cluster ? cluster.pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0) : 0);
  // The database's own backends (the pools' connections, open for the whole run; a backend that
  // closed during the run is not counted) and this process, the load generator.
  const backendPids = async () =>
    (
      await db.pool.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);
  const pgBefore = new Map((await backendPids()).map((pid) => [pid, processCpuSeconds(pid) ?? 0]));
  const senderBefore = process.cpuUsage();
  const cpuBefore = { api: cpuOf(apis), consumer: cpuOf(consumers), redis: redisCpu() };
  const acceptedBefore = accepted.size;
  const run = await send('run', rate, durationS);
  const sendEndedAt = Date.now();
  const acceptedInRun = accepted.size - acceptedBefore;

  // Drain: every accepted message persisted, or the limit.
  let drainMs: number | null = null;
  const drainDeadline = Date.now() + Number(args['drain-timeout']) * 1000;
  while (Date.now() < drainDeadline) {
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM messages WHERE state = 'persisted'");
    if (rows[0].n >= accepted.size) {
      drainMs = Date.now() - sendEndedAt;
      break;
    }
    await sleep(250);
  }
  sampling = false;
  await sampler;
  // CPU the run cost the service's own processes (user + system, from /proc), whatever else the machine runs.
  const cpuSeconds = {
    api: cpuOf(apis) - cpuBefore.api,
    consumer: cpuOf(consumers) - cpuBefore.consumer,
    redis: redisCpu() - cpuBefore.redis,
    sender: (() => {
      const used = process.cpuUsage(senderBefore);
      return (used.user + used.system) / 1e6;
    })(),
    postgres: (await backendPids()).reduce((sum, pid) => sum + ((processCpuSeconds(pid) ?? 0) - (pgBefore.get(pid) ?? 0)), 0),
  };

  const { rows } = await db.pool.query<{ id: string; client_message_id: string; state: string }>(
    'SELECT id, client_message_id, state FROM messages',
  );
  let persistedOk = 0;
  let mismatched = 0;
  let unexpected = 0;
  let unacknowledged = 0;
  for (const row of rows) {
    const answered = accepted.get(row.client_message_id);
    if (answered === undefined) {
      if (errored.has(row.client_message_id)) unacknowledged++;
      else unexpected++;
    } else if (answered !== row.id) mismatched++;
    else if (row.state === 'persisted') persistedOk++;
  }
  const latencies = [...run.latenciesMs].sort((a, b) => a - b);
  const figures: LoadFigures = {
    targetRate: rate,
    messagesPerRequest: perRequest,
    durationS,
    sent: run.sent,
    accepted: acceptedInRun,
    errors: errored.size - erroredBefore,
    enqueueRate: acceptedInRun / (run.durationMs / 1000),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? 0,
    },
    maxPartitionLag,
    maxTotalLag,
    deadLetters: (await Promise.all(keys.deadLetterStreams.map(({ key }) => client.xlen(key)))).reduce((a, b) => a + b, 0),
    lost: accepted.size - persistedOk,
    duplicated: mismatched + unexpected,
    drainMs,
    cpu: {
      apiSeconds: cpuSeconds.api,
      consumerSeconds: cpuSeconds.consumer,
      apiUsPerMessage: acceptedInRun > 0 ? (cpuSeconds.api * 1e6) / acceptedInRun : 0,
      consumerUsPerMessage: acceptedInRun > 0 ? (cpuSeconds.consumer * 1e6) / acceptedInRun : 0,
      senderSeconds: cpuSeconds.sender,
      senderUsPerMessage: acceptedInRun > 0 ? (cpuSeconds.sender * 1e6) / acceptedInRun : 0,
      postgresSeconds: cpuSeconds.postgres,
      postgresUsPerMessage: acceptedInRun > 0 ? (cpuSeconds.postgres * 1e6) / acceptedInRun : 0,
      ...(cluster
        ? { redisSeconds: cpuSeconds.redis, redisUsPerMessage: acceptedInRun > 0 ? (cpuSeconds.redis * 1e6) / acceptedInRun : 0 }
        : {}),
    },
    machine: { loadBefore, loadAfter: loadavg()[0], cpus: availableParallelism() },
  };
  const settings = {
    api: Number(args.api),
    consumers: Number(args.consumers),
    STREAM_BATCH_SIZE: Number(args['batch-size']),
    connections: Number(args.connections),
    messagesPerRequest: perRequest,
    conversations,
    postgres: args['pg-socket'] ? `unix socket ${args['pg-socket']}` : 'tcp',
    redis: cluster ? 'cluster of 3 masters' : 'single',
    ...extraEnv,
  };
  process.stdout.write(`${formatLoadReport(figures, settings, { command, startedAt })}\n`);
  if (unacknowledged > 0)
    process.stdout.write(`  ${unacknowledged} messages were stored although their request failed (the client would retry them)\n`);
  if (errorSamples.length > 0) process.stdout.write(`  first errors: ${errorSamples.join(' | ')}\n`);
  if (args.json)
    writeFileSync(args.json, `${JSON.stringify({ command, startedAt, figures, settings, judged: judgeLoad(figures) }, null, 2)}\n`);
  if (figures.lost > 0 || figures.duplicated > 0) exitCode = 1;
} catch (error) {
  process.stderr.write(`load test failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  for (const p of processes) process.stderr.write(p.output().slice(-2000));
  exitCode = 1;
} finally {
  await Promise.all(processes.map((p) => p.stop(15_000)));
  redis?.disconnect();
  await db.drop().catch(() => undefined);
  await prefix.cleanup().catch(() => undefined);
  await cluster?.stop();
}
process.exit(exitCode);
