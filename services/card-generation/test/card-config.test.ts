// The guide's settings are real settings, validated at start: every bad variable is named with
// what is wrong, and the process exits 78 before it touches anything.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseEnvConfig } from '@cutover/service-kit';
import { cardEnvSchema } from '../src/card-config.ts';
import { TEST_MASTER_KEY } from './support/card-env.ts';
import { SERVICE_DIR } from './support/paths.ts';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', CARD_MASTER_KEY: TEST_MASTER_KEY };

test("the guide's defaults", () => {
  const parsed = parseEnvConfig(cardEnvSchema, base);
  assert.ok(parsed.ok);
  const c = parsed.config;
  assert.deepEqual(
    [
      c.BULL_QUEUE_CONCURRENCY,
      c.BULL_QUEUE_DEFAULT_ATTEMPTS,
      c.BULL_QUEUE_DEFAULT_TIMEOUT,
      c.MULTI_TIER_CACHE_LOCAL_SIZE,
      c.MULTI_TIER_CACHE_LOCAL_TTL,
    ],
    [4, 3, 30_000, 10_000, 3_600_000],
  );
  assert.deepEqual(
    [c.WEBSOCKET_PING_INTERVAL, c.WEBSOCKET_PING_TIMEOUT, c.UNIQUENESS_SERVICE_MAX_RETRIES, c.UNIQUENESS_SERVICE_RETRY_DELAY],
    [25_000, 5_000, 10, 100],
  );
  assert.equal(c.REDIS_CLUSTER_ENABLED, false);
  assert.equal(c.SANDBOX_BINS.length, 8);
});

test('cluster nodes are parsed; bad values are each named', () => {
  const cluster = parseEnvConfig(cardEnvSchema, {
    ...base,
    REDIS_CLUSTER_ENABLED: 'true',
    REDIS_CLUSTER_NODES: 'node1:6379, node2:6379,node3:6379',
  });
  assert.ok(cluster.ok);
  assert.deepEqual(cluster.config.REDIS_CLUSTER_NODES, [
    { host: 'node1', port: 6379 },
    { host: 'node2', port: 6379 },
    { host: 'node3', port: 6379 },
  ]);
  const bad = parseEnvConfig(cardEnvSchema, {
    DATABASE_URL: 'mysql://x',
    CARD_MASTER_KEY: 'short',
    REDIS_CLUSTER_ENABLED: 'true',
    BULL_QUEUE_CONCURRENCY: '0',
    WEBSOCKET_PING_INTERVAL: '1000',
    WEBSOCKET_PING_TIMEOUT: '5000',
    SANDBOX_BINS: 'visa:51',
  });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok);
  const variables = bad.issues.map((i) => i.variable).sort();
  assert.deepEqual(variables, ['BULL_QUEUE_CONCURRENCY', 'CARD_MASTER_KEY', 'DATABASE_URL', 'SANDBOX_BINS']);
  const refined = parseEnvConfig(cardEnvSchema, {
    ...base,
    REDIS_CLUSTER_ENABLED: 'true',
    WEBSOCKET_PING_INTERVAL: '1000',
    WEBSOCKET_PING_TIMEOUT: '5000',
  });
  assert.ok(!refined.ok);
  assert.deepEqual(refined.issues.map((i) => i.variable).sort(), ['REDIS_CLUSTER_NODES', 'WEBSOCKET_PING_TIMEOUT']);
});

test('a process with a bad environment exits 78 and lists the variables, without echoing the key', async () => {
  const secret = 'zz'.repeat(32);
  const result = await promisify(execFile)(process.execPath, ['src/api-main.ts'], {
    cwd: SERVICE_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      CARD_MASTER_KEY: secret,
      BULL_QUEUE_DEFAULT_ATTEMPTS: 'many',
    },
  }).catch((error) => error as { code: number; stderr: string });
  assert.equal((result as { code: number }).code, 78);
  const stderr = (result as { stderr: string }).stderr;
  assert.match(stderr, /CARD_MASTER_KEY/);
  assert.match(stderr, /BULL_QUEUE_DEFAULT_ATTEMPTS/);
  assert.ok(!stderr.includes(secret));
});
