import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnvConfig } from '@cutover/service-kit';
import { messagingEnvSchema } from '../src/messaging-config.ts';

const base = { DATABASE_URL: 'postgres://app@127.0.0.1/app' };

describe('messaging environment', () => {
  test('defaults are the deployment guide values', () => {
    const result = parseEnvConfig(messagingEnvSchema, base);
    assert.ok(result.ok);
    const c = result.config;
    assert.equal(c.STREAM_PARTITIONS, 16);
    assert.equal(c.STREAM_MAX_RETRIES, 3);
    assert.equal(c.STREAM_POLL_INTERVAL_MS, 5000);
    assert.equal(c.STREAM_BATCH_SIZE, 10);
    assert.equal(c.ENABLE_STREAM_CONSUMERS, true);
    assert.equal(c.STREAM_CONSUMER_MODE, 'write');
    assert.equal(c.REDIS_PORT, 6379);
    assert.equal(c.STREAM_KEY_PREFIX, '');
  });

  test('ENABLE_STREAM_CONSUMERS=false and shadow mode parse', () => {
    const result = parseEnvConfig(messagingEnvSchema, { ...base, ENABLE_STREAM_CONSUMERS: 'false', STREAM_CONSUMER_MODE: 'shadow' });
    assert.ok(result.ok);
    assert.equal(result.config.ENABLE_STREAM_CONSUMERS, false);
    assert.equal(result.config.STREAM_CONSUMER_MODE, 'shadow');
  });

  test('every bad variable is reported, including a claim idle time not above the handler limit', () => {
    const result = parseEnvConfig(messagingEnvSchema, {
      DATABASE_URL: 'mysql://x',
      STREAM_PARTITIONS: '0',
      STREAM_CONSUMER_MODE: 'yolo',
      STREAM_HANDLER_TIMEOUT_MS: '10000',
      STREAM_CLAIM_MIN_IDLE_MS: '5000',
    });
    assert.ok(!result.ok);
    assert.deepEqual(result.issues.map((i) => i.variable).sort(), ['DATABASE_URL', 'STREAM_CONSUMER_MODE', 'STREAM_PARTITIONS']);
    const refined = parseEnvConfig(messagingEnvSchema, { ...base, STREAM_HANDLER_TIMEOUT_MS: '10000', STREAM_CLAIM_MIN_IDLE_MS: '5000' });
    assert.ok(!refined.ok);
    assert.deepEqual(
      refined.issues.map((i) => i.variable),
      ['STREAM_CLAIM_MIN_IDLE_MS'],
    );
  });

  test('Redis Cluster: the nodes are parsed, and a cluster without nodes, a braced prefix or a database other than 0 is refused by name', () => {
    const ok = parseEnvConfig(messagingEnvSchema, { ...base, REDIS_CLUSTER_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:7000, b:7001' });
    assert.ok(ok.ok);
    assert.deepEqual(ok.config.REDIS_CLUSTER_NODES, [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ]);
    const bad = parseEnvConfig(messagingEnvSchema, {
      ...base,
      REDIS_CLUSTER_ENABLED: 'true',
      STREAM_KEY_PREFIX: '{t}:',
      REDIS_STREAM_DB: '2',
    });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.issues.map((i) => i.variable).sort(), ['REDIS_CLUSTER_NODES', 'REDIS_STREAM_DB', 'STREAM_KEY_PREFIX']);
    const badNode = parseEnvConfig(messagingEnvSchema, { ...base, REDIS_CLUSTER_ENABLED: 'true', REDIS_CLUSTER_NODES: 'a:7000,nope' });
    assert.ok(!badNode.ok);
    assert.match(badNode.issues.map((i) => `${i.variable}: ${i.message}`).join('\n'), /REDIS_CLUSTER_NODES: "nope" is not host:port/);
  });
});
