// Outages staged with a TCP relay that a test can cut:
// - the database goes away under a consumer (its connections cut, new ones refused) and comes back:
//   the batch in hand is held and tried again as it is: no delivery is spent (with
//   STREAM_MAX_RETRIES=1 a single counted failure would dead-letter it), nothing overtakes it, and
//   every message is persisted once, in order, after the outage;
// - Redis goes away under the api: a send is refused (503) although its row was written; the
//   sender's retry after the outage enqueues that same message, which then persists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpJson, messageBody } from './support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from './support/in-process.ts';
import { messagingEnv } from './support/messaging-env.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createTcpCutter, type TcpCutter } from './support/tcp-cutter.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';
import { sleep, waitFor } from './support/wait-for.ts';

describe('database outage under a consumer', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let cutter: TcpCutter;
  let api: RunningApi;
  let consumer: RunningConsumer;

  before(async () => {
    db = await createMigratedDatabase('outage');
    redis = redisPrefix('outage');
    cutter = await createTcpCutter(5432);
    const env = messagingEnv(db.url, redis.prefix, { STREAM_MAX_RETRIES: '1', LOG_LEVEL: 'info' });
    api = await startApi(env);
    const viaCutter = new URL(db.url);
    viaCutter.port = String(cutter.port);
    consumer = await startConsumer({ ...env, DATABASE_URL: viaCutter.toString() });
  });
  after(async () => {
    await cutter?.restore().catch(() => undefined);
    await consumer?.stop();
    await api?.stop();
    await cutter?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  test('messages sent during the outage persist in order afterwards, none dead-lettered', async () => {
    await cutter.cut();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const sent = await httpJson(
        'POST',
        `${api.url}/api/messages`,
        messageBody({ conversationId: 'outage', clientMessageId: `o-${i}`, content: `#${i}` }),
      );
      assert.equal(sent.status, 201);
      ids.push(sent.body.messageId);
    }
    await waitFor('the consumer to hold its batch', () =>
      consumer.logs.lines.some((l) => l.includes('holding the batch')) ? true : undefined,
    );
    await sleep(500);
    const { rows: during } = await db.pool.query("SELECT count(*)::int AS n FROM messages WHERE state = 'persisted'");
    assert.equal(during[0].n, 0);

    await cutter.restore();
    const listed = await waitFor(
      'all 20 persisted',
      async () => {
        const got = await httpJson('GET', `${api.url}/api/conversations/outage/messages`);
        return got.body.messages.length === 20 ? got.body.messages : undefined;
      },
      20_000,
      100,
    );
    assert.deepEqual(
      listed.map((m: { messageId: string }) => m.messageId),
      ids,
    );
    assert.equal(await redis.redis.xlen(`${redis.prefix}msg:dlq`), 0);
    const metrics = await (await fetch(`${consumer.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /stream_consumer_processed_total\{status="error"/);
  });
});

describe('Redis outage under the api', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let cutter: TcpCutter;
  let api: RunningApi;
  let consumer: RunningConsumer;

  before(async () => {
    db = await createMigratedDatabase('redis_outage');
    redis = redisPrefix('redis-outage');
    cutter = await createTcpCutter(6379);
    const env = messagingEnv(db.url, redis.prefix);
    api = await startApi({ ...env, REDIS_URL: `redis://127.0.0.1:${cutter.port}/0` });
    consumer = await startConsumer(env);
  });
  after(async () => {
    await cutter?.restore().catch(() => undefined);
    await consumer?.stop();
    await api?.stop();
    await cutter?.close();
    await db?.drop();
    await redis?.cleanup();
  });

  test('a send refused while Redis is away is enqueued by its retry, under the same messageId', async () => {
    const body = messageBody({ conversationId: 'redis-outage', clientMessageId: 'during-outage' });
    await cutter.cut();
    const refused = await httpJson('POST', `${api.url}/api/messages`, body);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const { rows } = await db.pool.query("SELECT id, state FROM messages WHERE client_message_id = 'during-outage'");
    assert.deepEqual(
      rows.map((r) => r.state),
      ['pending'],
      'the row was written before XADD failed',
    );

    await cutter.restore();
    const retried = await waitFor(
      'the retry to be accepted',
      async () => {
        const answer = await httpJson('POST', `${api.url}/api/messages`, body);
        return answer.status === 200 ? answer : undefined;
      },
      15_000,
      200,
    );
    assert.equal(retried.body.messageId, rows[0].id);
    assert.equal(retried.body.idempotentHit, true);
    await waitFor('the message to persist', async () => {
      const got = await httpJson('GET', `${api.url}/api/messages/${rows[0].id}`);
      return got.body?.state === 'persisted' ? true : undefined;
    });
  });
});
