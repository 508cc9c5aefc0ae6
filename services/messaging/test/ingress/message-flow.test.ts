// The deployment guide's end-to-end and idempotency checks, against the real api and consumer
// services (in this process) on real PostgreSQL and Redis: send → ACK pending → entry on its
// partition stream → persisted by a consumer → metrics; the same send again → the same messageId.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageFingerprint } from '../../src/ingress/message-fingerprint.ts';
import { messageInputSchema } from '../../src/ingress/message-input.ts';
import { buildInsertMessages } from '../../src/message-sql.ts';
import { partitionFor } from '../../src/streams/partition-for.ts';
import { httpJson, messageBody } from '../support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from '../support/in-process.ts';
import { messagingEnv } from '../support/messaging-env.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

/** The value of one series in a Prometheus text exposition, 0 when absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('message flow: ingress, stream, consumer, database', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let consumer: RunningConsumer | undefined;
  let env: Record<string, string>;

  before(async () => {
    db = await createMigratedDatabase('flow');
    redis = redisPrefix('flow');
    env = messagingEnv(db.url, redis.prefix);
    api = await startApi(env);
  });
  after(async () => {
    await consumer?.stop();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  const post = (body: unknown, headers?: Record<string, string>) => httpJson('POST', `${api.url}/api/messages`, body, headers);

  test('receipts wait for persistence; the guide end to end: ACK pending, entry on its partition, persisted, metrics', async () => {
    const sent = await post(messageBody(), { 'x-correlation-id': 'corr-e2e-1' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(sent.body.state, 'pending');
    assert.equal(sent.body.idempotentHit, false);
    assert.equal(sent.body.correlationId, 'corr-e2e-1');
    assert.match(sent.body.messageId, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(sent.body.acceptedAt) <= Date.now());

    // On its conversation's partition stream, carrying the whole message.
    const partition = partitionFor('test_conv_001', 16);
    const entries = await redis.redis.xrange(`${redis.prefix}msg:stream:${partition}`, '-', '+');
    assert.equal(entries.length, 1);
    const payload = JSON.parse(entries[0][1][1]);
    assert.equal(payload.messageId, sent.body.messageId);
    assert.equal(payload.content, 'Hello, Phase 3!');

    // No consumer yet: the message is pending and receipts are refused until it is persisted.
    const early = await httpJson('POST', `${api.url}/api/messages/${sent.body.messageId}/receipts`, {
      userId: 'user_002',
      state: 'delivered',
    });
    assert.equal(early.status, 409);

    consumer = await startConsumer(env);
    const persisted = await waitFor('the message to be persisted', async () => {
      const got = await httpJson('GET', `${api.url}/api/messages/${sent.body.messageId}`);
      return got.body?.state === 'persisted' ? got.body : undefined;
    });
    assert.equal(persisted.conversationSeq, 1);
    assert.equal(persisted.correlationId, 'corr-e2e-1');
    assert.deepEqual(persisted.recipientIds, ['user_002']);

    const { rows } = await db.pool.query("SELECT id, content FROM messages WHERE content = 'Hello, Phase 3!'");
    assert.deepEqual(rows, [{ id: sent.body.messageId, content: 'Hello, Phase 3!' }]);
    const apiMetrics = await (await fetch(`${api.url}/metrics`)).text();
    assert.equal(sample(apiMetrics, 'stream_enqueue_total', { partition: String(partition) }), 1);
    const consumerMetrics = await (await fetch(`${consumer.url}/metrics`)).text();
    assert.equal(sample(consumerMetrics, 'stream_consumer_processed_total', { status: 'persisted' }), 1);
    assert.equal(sample(consumerMetrics, 'message_delivery_latency_seconds_count'), 1);
    await waitFor('the entry to be acknowledged', async () => {
      const [count] = (await redis.redis.xpending(`${redis.prefix}msg:stream:${partition}`, 'persistence-workers')) as [number];
      return count === 0 ? true : undefined;
    });
  });

  test('idempotency: the same send returns the same messageId, flagged, and makes no second row', async () => {
    const before = sample(await (await fetch(`${api.url}/metrics`)).text(), 'idempotency_hit_total', { operation: 'ingress' });
    const retry = await post(messageBody());
    assert.equal(retry.status, 200);
    assert.equal(retry.body.idempotentHit, true);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(retry.body.state, 'persisted');
    const { rows } = await db.pool.query("SELECT id FROM messages WHERE sender_id = 'user_001' AND client_message_id = 'client_msg_001'");
    assert.equal(rows.length, 1);
    assert.equal(retry.body.messageId, rows[0].id);
    // Key order and an omitted default do not make a different request.
    const { contentType: _omitted, ...withoutType } = messageBody();
    const reordered = Object.fromEntries(Object.entries(withoutType).reverse());
    assert.equal((await post(reordered)).body.messageId, rows[0].id);
    const afterHits = sample(await (await fetch(`${api.url}/metrics`)).text(), 'idempotency_hit_total', { operation: 'ingress' });
    assert.equal(afterHits, before + 2);
  });

  test('the same clientMessageId with another payload is refused with 422; another sender may use it', async () => {
    const reused = await post(messageBody({ content: 'something else' }));
    assert.equal(reused.status, 422);
    assert.match(reused.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const { rows } = await db.pool.query("SELECT id FROM messages WHERE sender_id = 'user_001' AND client_message_id = 'client_msg_001'");
    assert.equal(reused.body.messageId, rows[0].id);
    const other = await post(messageBody({ senderId: 'user_009', content: 'something else' }));
    assert.equal(other.status, 201);
    assert.notEqual(other.body.messageId, rows[0].id);
  });

  test('100 concurrent identical sends make exactly one message and all name it', async () => {
    const body = messageBody({ clientMessageId: 'burst-1', conversationId: 'burst' });
    const answers = await Promise.all(Array.from({ length: 100 }, () => post(body)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [...Array(99).fill(200), 201].sort());
    const ids = new Set(answers.map((a) => a.body.messageId));
    assert.equal(ids.size, 1);
    const { rows } = await db.pool.query("SELECT id FROM messages WHERE client_message_id = 'burst-1'");
    assert.deepEqual(
      rows.map((r) => r.id),
      [...ids],
    );
    await waitFor('the burst message to be persisted once', async () => {
      const got = await httpJson('GET', `${api.url}/api/messages/${[...ids][0]}`);
      return got.body?.state === 'persisted' ? true : undefined;
    });
    // A request that found the message still pending enqueued it again (its first attempt might
    // have died before XADD); every entry names the one message, which the consumer persisted once.
    const entries = await redis.redis.xrange(`${redis.prefix}msg:stream:${partitionFor('burst', 16)}`, '-', '+');
    const named = entries.filter(([, fields]) => fields[1].includes('"burst-1"')).map(([, fields]) => JSON.parse(fields[1]).messageId);
    assert.ok(named.length >= 1);
    assert.deepEqual(new Set(named), ids);
    const { rows: persisted } = await db.pool.query("SELECT conversation_seq FROM messages WHERE conversation_id = 'burst'");
    assert.deepEqual(
      persisted.map((r) => Number(r.conversation_seq)),
      [1],
    );
  });

  test('100 concurrent sends of two payloads under one key: one message, the other payload refused', async () => {
    const a = messageBody({ clientMessageId: 'burst-2', content: 'A' });
    const b = messageBody({ clientMessageId: 'burst-2', content: 'B' });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(i % 2 === 0 ? a : b)));
    const { rows } = await db.pool.query("SELECT id, content FROM messages WHERE client_message_id = 'burst-2'");
    assert.equal(rows.length, 1);
    const winner = rows[0].content;
    for (const [i, answer] of answers.entries()) {
      const mine = i % 2 === 0 ? 'A' : 'B';
      if (mine === winner) assert.ok([200, 201].includes(answer.status) && answer.body.messageId === rows[0].id);
      else assert.equal(answer.status, 422);
    }
    assert.equal(answers.filter((x) => x.status === 201).length, 1);
  });

  test('a retry of a message whose first attempt died between INSERT and XADD enqueues it, and it persists', async () => {
    const body = messageBody({ clientMessageId: 'died-before-xadd', conversationId: 'died' });
    const input = messageInputSchema.parse(body);
    const orphanId = '7b0e7a52-5d2c-4a43-9a53-0d3c2f0a6c11';
    await db.pool.query(
      buildInsertMessages([
        {
          ...input,
          messageId: orphanId,
          correlationId: 'first-attempt',
          fingerprint: messageFingerprint(input),
          partition: partitionFor('died', 16),
          acceptedAt: new Date().toISOString(),
        },
      ]),
    );
    const retry = await post(body);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.messageId, orphanId);
    assert.equal(retry.body.correlationId, 'first-attempt');
    await waitFor('the orphan to be persisted', async () => {
      const got = await httpJson('GET', `${api.url}/api/messages/${orphanId}`);
      return got.body?.state === 'persisted' ? true : undefined;
    });
  });

  test('content and ids with quotes, backslashes, newlines, commas, braces and emoji are stored as sent', async () => {
    const body = messageBody({
      clientMessageId: 'awkward-1',
      conversationId: 'conv "a", {b}',
      content: 'line 1\nline "2" \\ tab\t , {x} é 😀',
      recipientIds: ['r"1', 'r,2', 'r{3}', 'r\\4', 'NULL'],
    });
    const sent = await post(body);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const { rows } = await db.pool.query('SELECT conversation_id, content, recipient_ids FROM messages WHERE id = $1', [
      sent.body.messageId,
    ]);
    assert.deepEqual(rows[0], { conversation_id: body.conversationId, content: body.content, recipient_ids: body.recipientIds });
  });

  test('bad requests are refused with 400 and the field at fault', async () => {
    const missing = await post({ ...messageBody(), recipientIds: [] });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.issues[0].path, 'recipientIds');
    assert.equal((await post({ ...messageBody(), extra: 1 })).status, 400);
    assert.equal((await post({ ...messageBody(), content: 'a\u0000b' })).status, 400);
    // A lone surrogate cannot travel as JSON to PostgreSQL: refused up front, naming the field.
    const lone = await post({ ...messageBody(), clientMessageId: 'lone-1', content: 'a\ud800b' });
    assert.equal(lone.status, 400);
    assert.equal(lone.body.issues[0].path, 'content');
    assert.equal((await post({ ...messageBody(), clientMessageId: 'lone-2', recipientIds: ['r\udc00'] })).status, 400);
    const unknownType = await post({ ...messageBody(), clientMessageId: 'type-1', contentType: 'video/x-unknown' });
    assert.equal(unknownType.status, 400);
    assert.match(JSON.stringify(unknownType.body), /contentType/);
    assert.equal((await post({ ...messageBody(), clientMessageId: 'type-2', contentType: 'image/png' })).status, 201);
    assert.equal((await httpJson('GET', `${api.url}/api/messages/not-a-uuid`)).status, 400);
    assert.equal((await httpJson('GET', `${api.url}/api/messages/00000000-0000-4000-8000-000000000000`)).status, 404);
  });

  test('a batch: each message answered in order as if sent alone; one bad message refuses only itself', async () => {
    const batch = (messages: unknown[]) =>
      httpJson('POST', `${api.url}/api/messages/batch`, { messages }, { 'x-correlation-id': 'corr-batch' });
    const first = messageBody({ clientMessageId: 'batch-1', conversationId: 'batched', content: 'one' });
    const second = messageBody({ clientMessageId: 'batch-2', conversationId: 'batched', content: 'two' });
    const answer = await batch([
      first,
      { ...second, recipientIds: [] },
      second,
      first,
      messageBody({ content: 'not the content client_msg_001 was sent with' }),
      messageBody(),
    ]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const results = answer.body.results as Record<string, unknown>[];
    assert.deepEqual(
      results.map((r) => r.status),
      [201, 400, 201, 200, 422, 200],
    );
    assert.equal((results[1].issues as { path: string }[])[0].path, 'messages.1.recipientIds');
    assert.equal(results[3].messageId, results[0].messageId);
    assert.equal(results[3].idempotentHit, true);
    assert.equal(results[0].correlationId, 'corr-batch');
    const { rows } = await db.pool.query<{ id: string; client_message_id: string }>(
      "SELECT id, client_message_id FROM messages WHERE sender_id = 'user_001' AND client_message_id IN ('batch-1', 'batch-2', 'client_msg_001') ORDER BY client_message_id",
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      [results[0].messageId, results[2].messageId, results[5].messageId],
    );
    assert.equal(results[4].messageId, results[5].messageId);
    // Retried as a whole, the batch names the same messages and makes no row.
    const again = await batch([first, second]);
    assert.deepEqual(
      (again.body.results as Record<string, unknown>[]).map((r) => [r.status, r.messageId]),
      [
        [200, results[0].messageId],
        [200, results[2].messageId],
      ],
    );
    const persisted = await waitFor('the batch to be persisted in order', async () => {
      const got = await httpJson('GET', `${api.url}/api/conversations/batched/messages`);
      return got.body.messages.length === 2 ? got.body.messages : undefined;
    });
    assert.deepEqual(
      persisted.map((m: { content: string; conversationSeq: number }) => [m.content, m.conversationSeq]),
      [
        ['one', 1],
        ['two', 2],
      ],
    );
    // The envelope itself: 1 to 100 messages, nothing else.
    assert.equal((await batch([])).status, 400);
    assert.equal((await batch(Array.from({ length: 101 }, (_, i) => messageBody({ clientMessageId: `over-${i}` })))).status, 400);
    assert.equal((await httpJson('POST', `${api.url}/api/messages/batch`, { messages: [first], extra: 1 })).status, 400);
    assert.equal((await httpJson('POST', `${api.url}/api/messages/batch`, [first])).status, 400);
  });

  test('receipts: delivered then read, each once; only recipients; read implies delivered', async () => {
    const sent = await post(messageBody({ clientMessageId: 'receipts-1', recipientIds: ['r1', 'r2'] }));
    const id = sent.body.messageId;
    await waitFor('persisted', async () =>
      (await httpJson('GET', `${api.url}/api/messages/${id}`)).body?.state === 'persisted' ? true : undefined,
    );
    const url = `${api.url}/api/messages/${id}/receipts`;
    const delivered = await httpJson('POST', url, { userId: 'r1', state: 'delivered' });
    assert.equal(delivered.status, 201);
    assert.equal(delivered.body.idempotentHit, false);
    const again = await httpJson('POST', url, { userId: 'r1', state: 'delivered' });
    assert.equal(again.status, 200);
    assert.equal(again.body.idempotentHit, true);
    const read = await httpJson('POST', url, { userId: 'r2', state: 'read' });
    assert.equal(read.status, 201);
    assert.deepEqual(
      read.body.receipts.map((r: { state: string }) => r.state),
      ['delivered', 'read'],
    );
    assert.equal((await httpJson('POST', url, { userId: 'mallory', state: 'read' })).status, 403);
    assert.equal((await httpJson('POST', url, { userId: 'r1', state: 'sent' })).status, 400);
    const { rows } = await db.pool.query('SELECT user_id, state FROM message_receipts WHERE message_id = $1 ORDER BY user_id, state', [id]);
    assert.deepEqual(rows, [
      { user_id: 'r1', state: 'delivered' },
      { user_id: 'r2', state: 'delivered' },
      { user_id: 'r2', state: 'read' },
    ]);
    const message = await httpJson('GET', `${api.url}/api/messages/${id}`);
    assert.equal(message.body.receipts.length, 3);
  });

  test('a conversation lists in send order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await post(messageBody({ conversationId: 'ordered', clientMessageId: `o-${i}`, content: `#${i}` }))).body.messageId);
    const listed = await waitFor('12 persisted messages', async () => {
      const got = await httpJson('GET', `${api.url}/api/conversations/ordered/messages?limit=50`);
      return got.body.messages.length === 12 ? got.body.messages : undefined;
    });
    assert.deepEqual(
      listed.map((m: { messageId: string }) => m.messageId),
      ids,
    );
    assert.deepEqual(
      listed.map((m: { conversationSeq: number }) => m.conversationSeq),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });
});
