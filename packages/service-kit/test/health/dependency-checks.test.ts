import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { postgresCheck, redisCheck, runReadinessCheck } from '../../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

describe('dependency checks against real PostgreSQL and Redis', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('depchecks');
  });
  after(() => db.drop());

  test('postgres: pass when reachable, fail fast when not', async () => {
    const ok = await runReadinessCheck(postgresCheck(db.pool));
    assert.equal(ok.status, 'pass');
    assert.equal(ok.componentType, 'datastore');
    assert.ok(ok.latencyMs >= 0);
    const nowhere = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:9/x', connectionTimeoutMillis: 2_000 });
    try {
      const down = await runReadinessCheck(postgresCheck(nowhere, { timeoutMs: 3_000 }));
      assert.equal(down.status, 'fail');
      assert.match(down.output ?? '', /ECONNREFUSED|connect/);
    } finally {
      await nowhere.end();
    }
  });

  test('redis: pass on PONG, fail at the time limit when unreachable', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    try {
      assert.equal((await runReadinessCheck(redisCheck(redis))).status, 'pass');
    } finally {
      redis.disconnect();
    }
    const unreachable = new Redis({ host: '127.0.0.1', port: 9, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    unreachable.on('error', () => {});
    try {
      const down = await runReadinessCheck(redisCheck(unreachable, { timeoutMs: 500 }));
      assert.equal(down.status, 'fail');
    } finally {
      unreachable.disconnect();
    }
  });
});
