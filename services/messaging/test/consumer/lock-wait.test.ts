// A batch that waits for a lock another transaction holds, for longer than the handler's time
// limit, is held and tried again as it is (lock_timeout below statement_timeout, 55P03 counted as
// transient): no delivery is spent, nothing fails, and the conversation stays in send order.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '@cutover/service-kit/testing';
import { lockTimeoutFor } from '../../src/build-consumer-service.ts';
import { httpJson, messageBody } from '../support/http-json.ts';
import { type RunningApi, startApi } from '../support/in-process.ts';
import { messagingEnv } from '../support/messaging-env.ts';
import { SERVICE_DIR } from '../support/paths.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const MESSAGES = 20;
const HANDLER_TIMEOUT_MS = 600;

describe('a batch waiting on a lock past the handler timeout', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let consumer: ServiceProcess;

  before(async () => {
    db = await createMigratedDatabase('lockwait');
    redis = redisPrefix('lockwait');
    const env = messagingEnv(db.url, redis.prefix, {
      STREAM_BATCH_SIZE: '5',
      STREAM_HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS),
      STREAM_CLAIM_MIN_IDLE_MS: '120000',
      LOG_LEVEL: 'info',
    });
    api = await startApi(env);
    consumer = await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env });
  });
  after(async () => {
    await consumer?.kill();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  test('the lock wait ends before the statement timeout', () => {
    assert.ok(lockTimeoutFor(HANDLER_TIMEOUT_MS) < HANDLER_TIMEOUT_MS);
    assert.ok(lockTimeoutFor(10_000) < 10_000);
  });

  test('is held, not failed: every message persisted once, in order, none failed', async () => {
    const blocker = await db.pool.connect();
    const ids: string[] = [];
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE conversations IN EXCLUSIVE MODE');
      for (let i = 0; i < MESSAGES; i++) {
        const sent = await httpJson(
          'POST',
          `${api.url}/api/messages`,
          messageBody({ conversationId: 'lockwait', clientMessageId: `lockwait-${i}`, content: String(i) }),
        );
        assert.equal(sent.status, 201);
        ids.push(sent.body.messageId);
      }
      // The consumer's statement gave up on the lock at least once and held its batch.
      await waitFor('a batch held on the lock wait', async () => (/holding the batch/.test(consumer.output()) ? true : undefined), 60_000);
    } finally {
      await blocker.query('COMMIT').catch(() => undefined);
      blocker.release();
    }
    await waitFor(
      'all messages persisted',
      async () => {
        const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM messages WHERE state = 'persisted'");
        return rows[0].n === MESSAGES ? true : undefined;
      },
      60_000,
      100,
    );
    const { rows } = await db.pool.query("SELECT id FROM messages WHERE conversation_id = 'lockwait' ORDER BY conversation_seq");
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
      'in send order',
    );
    const metrics = await (await fetch(`${consumer.url}/metrics`)).text();
    const failed = /stream_consumer_processed_total\{status="failed"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? '0';
    assert.equal(failed, '0', 'no entry failed');
  });
});
