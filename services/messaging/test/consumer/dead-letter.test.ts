// A message the database keeps refusing is retried by the reclaimer, moved to the dead-letter
// stream after STREAM_MAX_RETRIES deliveries (without holding back the messages around it), listed
// by the API, and persisted once replayed after the cause is fixed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { partitionFor } from '../../src/streams/partition-for.ts';
import { httpJson, messageBody } from '../support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from '../support/in-process.ts';
import { messagingEnv } from '../support/messaging-env.ts';
import { installPoisonRule, liftPoisonRule } from '../support/poison-rule.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('dead letters', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let consumer: RunningConsumer;

  before(async () => {
    db = await createMigratedDatabase('dlq');
    redis = redisPrefix('dlq');
    const env = messagingEnv(db.url, redis.prefix, {
      STREAM_MAX_RETRIES: '3',
      STREAM_HANDLER_TIMEOUT_MS: '300',
      STREAM_CLAIM_MIN_IDLE_MS: '500',
      STREAM_RECLAIM_INTERVAL_MS: '150',
      ADMIN_TOKEN,
    });
    // The database refuses to persist one particular message until the test lifts the rule.
    await installPoisonRule(db.pool);
    api = await startApi(env);
    consumer = await startConsumer(env);
  });
  after(async () => {
    await consumer?.stop();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  test('a poison message reaches the DLQ after 3 deliveries, the others persist in order, and a replay persists it', async () => {
    const contents = ['one', 'two', 'poison', 'four', 'five'];
    const ids: string[] = [];
    for (const [i, content] of contents.entries()) {
      const sent = await httpJson(
        'POST',
        `${api.url}/api/messages`,
        messageBody({ conversationId: 'dlq-conv', clientMessageId: `d-${i}`, content }),
      );
      assert.equal(sent.status, 201);
      ids.push(sent.body.messageId);
    }
    const letters = await waitFor(
      'the poison message in the DLQ',
      async () => {
        const listed = await httpJson('GET', `${api.url}/api/dead-letters`, undefined, auth);
        return listed.body.total === 1 ? listed.body : undefined;
      },
      15_000,
    );
    const [letter] = letters.items;
    assert.equal(letter.message.messageId, ids[2]);
    assert.equal(letter.deliveries, 3);
    assert.match(letter.error, /poison message refused by the test trigger/);
    assert.equal(letter.partition, partitionFor('dlq-conv', 16));
    assert.equal(letter.group, 'persistence-workers');

    const stream = `${redis.prefix}msg:stream:${letter.partition}`;
    const [pending] = (await redis.redis.xpending(stream, 'persistence-workers')) as [number];
    assert.equal(pending, 0, 'the original entry is acknowledged');
    const { rows } = await db.pool.query(
      'SELECT content, state, conversation_seq FROM messages WHERE conversation_id = $1 ORDER BY accepted_at',
      ['dlq-conv'],
    );
    assert.deepEqual(
      rows.map((r) => [r.content, r.state, r.conversation_seq === null ? null : Number(r.conversation_seq)]),
      [
        ['one', 'persisted', 1],
        ['two', 'persisted', 2],
        ['poison', 'pending', null],
        ['four', 'persisted', 3],
        ['five', 'persisted', 4],
      ],
    );
    const metrics = await (await fetch(`${consumer.url}/metrics`)).text();
    assert.equal(sample(metrics, 'stream_dead_letter_total'), 1);
    assert.equal(sample(metrics, 'stream_consumer_processed_total', { status: 'error' }), 3);
    assert.ok(sample(metrics, 'stream_reclaimed_total') >= 3);

    // The cause is fixed; the replay puts it back at the end of its partition.
    await liftPoisonRule(db.pool);
    const replayed = await httpJson('POST', `${api.url}/api/dead-letters/${letter.id}/replay`, undefined, auth);
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.body.kind, 'replayed');
    const persisted = await waitFor('the replayed message to persist', async () => {
      const got = await httpJson('GET', `${api.url}/api/messages/${ids[2]}`);
      return got.body.state === 'persisted' ? got.body : undefined;
    });
    assert.equal(persisted.conversationSeq, 5);
    assert.equal((await httpJson('GET', `${api.url}/api/dead-letters`, undefined, auth)).body.total, 0);
    assert.equal((await httpJson('POST', `${api.url}/api/dead-letters/${letter.id}/replay`, undefined, auth)).status, 404);
    const apiMetrics = await (await fetch(`${api.url}/metrics`)).text();
    assert.equal(sample(apiMetrics, 'stream_dead_letter_replayed_total'), 1);
  });

  test('an entry that does not decode is dead-lettered with its raw fields and cannot be replayed', async () => {
    await redis.redis.xadd(`${redis.prefix}msg:stream:3`, '*', 'm1', '{not json');
    const letter = await waitFor(
      'the malformed entry in the DLQ',
      async () => {
        const listed = await httpJson('GET', `${api.url}/api/dead-letters`, undefined, auth);
        return listed.body.items[0];
      },
      15_000,
    );
    assert.equal(letter.message, null);
    assert.equal(letter.raw, '{not json');
    assert.equal(letter.partition, 3);
    assert.match(letter.error, /not JSON/);
    const replay = await httpJson('POST', `${api.url}/api/dead-letters/${letter.id}/replay`, undefined, auth);
    assert.equal(replay.status, 409);
  });

  test('dead-letter endpoints need the admin token when one is configured', async () => {
    assert.equal((await httpJson('GET', `${api.url}/api/dead-letters`)).status, 401);
    assert.equal((await httpJson('GET', `${api.url}/api/dead-letters`, undefined, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await httpJson('POST', `${api.url}/api/dead-letters/1-0/replay`)).status, 401);
    assert.equal((await httpJson('POST', `${api.url}/api/dead-letters/x/replay`, undefined, auth)).status, 400);
  });
});
