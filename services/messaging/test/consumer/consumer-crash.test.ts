// A consumer process is SIGKILLed while its batches are in the middle of their database statements
// (held there by a table lock). A second consumer takes the partitions over once the dead one's
// leases expire, claims the entries it left pending, and every message ends up persisted exactly
// once, in send order within its conversation, with nothing left pending.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ServiceProcess, startServiceProcess } from '@cutover/service-kit/testing';
import { partitionList } from '../../src/streams/stream-keys.ts';
import { httpJson, messageBody } from '../support/http-json.ts';
import { type RunningApi, startApi } from '../support/in-process.ts';
import { messagingEnv } from '../support/messaging-env.ts';
import { SERVICE_DIR } from '../support/paths.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const CONVERSATIONS = 10;
const PER_CONVERSATION = 30;

describe('consumer killed in the middle of a batch', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let env: Record<string, string>;
  const consumers: ServiceProcess[] = [];

  before(async () => {
    db = await createMigratedDatabase('crash');
    redis = redisPrefix('crash');
    // The table lock below is held while 300 messages are sent, which at a high load average took
    // longer than the default 10 s statement timeout of a batch: the first consumer's statement was
    // then cancelled and its entries failed (left pending, as for a bad message) while newer
    // entries overtook them, and the conversation came out of order. The limits here outlast any
    // such wait, so the consumer is killed with its statements still waiting, as this test means.
    env = messagingEnv(db.url, redis.prefix, {
      STREAM_BATCH_SIZE: '20',
      STREAM_LEASE_MS: '1500',
      STREAM_HANDLER_TIMEOUT_MS: '150000',
      STREAM_CLAIM_MIN_IDLE_MS: '160000',
      LOG_LEVEL: 'info',
    });
    api = await startApi(env);
  });
  after(async () => {
    for (const c of consumers) await c.kill();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  async function pendingTotal(): Promise<number> {
    let total = 0;
    for (const p of partitionList(16)) {
      const [count] = (await redis.redis.xpending(`${redis.prefix}msg:stream:${p}`, 'persistence-workers')) as [number];
      total += Number(count);
    }
    return total;
  }

  test('every message is persisted exactly once after the takeover, in order', async (t) => {
    const first = await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env });
    consumers.push(first);
    await waitFor('the first consumer to own all 16 partitions', async () => {
      const owners = await redis.redis.mget(...partitionList(16).map((p) => `${redis.prefix}msg:lease:${p}`));
      return owners.every((o) => o !== null) ? true : undefined;
    });

    // Hold every persist statement inside the database: the conversation counters are locked.
    const blocker = await db.pool.connect();
    const accepted = new Map<string, string[]>();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE conversations IN EXCLUSIVE MODE');
      await Promise.all(
        Array.from({ length: CONVERSATIONS }, async (_, c) => {
          const ids: string[] = [];
          for (let i = 0; i < PER_CONVERSATION; i++) {
            const sent = await httpJson(
              'POST',
              `${api.url}/api/messages`,
              messageBody({ conversationId: `crash-${c}`, clientMessageId: `crash-${c}-${i}`, content: String(i) }),
            );
            assert.equal(sent.status, 201);
            ids.push(sent.body.messageId);
          }
          accepted.set(`crash-${c}`, ids);
        }),
      );
      const blocked = await waitFor('consumer statements blocked mid-batch', async () => {
        const { rows } = await db.pool.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'messaging-consumer' AND wait_event_type = 'Lock'",
        );
        return rows[0].n > 0 ? rows[0].n : undefined;
      });
      assert.ok(blocked > 0);
      assert.ok((await pendingTotal()) > 0, 'the consumer holds delivered, unacknowledged entries');
      await first.kill();
    } finally {
      await blocker.query('COMMIT').catch(() => undefined);
      blocker.release();
    }

    const second = await startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env });
    consumers.push(second);
    await waitFor(
      'all messages persisted',
      async () => {
        const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM messages WHERE state = 'persisted'");
        return rows[0].n === CONVERSATIONS * PER_CONVERSATION ? true : undefined;
      },
      30_000,
      100,
    );
    await waitFor('nothing pending', async () => ((await pendingTotal()) === 0 ? true : undefined), 15_000);
    assert.match(second.output(), /took over pending entries of the partition/);

    const { rows: total } = await db.pool.query(
      'SELECT count(*)::int AS n, count(DISTINCT (sender_id, client_message_id))::int AS keys FROM messages',
    );
    assert.deepEqual(total[0], { n: CONVERSATIONS * PER_CONVERSATION, keys: CONVERSATIONS * PER_CONVERSATION });
    for (const [conversation, ids] of accepted) {
      const { rows } = await db.pool.query(
        'SELECT id, conversation_seq FROM messages WHERE conversation_id = $1 ORDER BY conversation_seq',
        [conversation],
      );
      assert.deepEqual(
        rows.map((r) => r.id),
        ids,
        `${conversation} in send order`,
      );
      assert.deepEqual(
        rows.map((r) => Number(r.conversation_seq)),
        ids.map((_, i) => i + 1),
      );
    }
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    const count = (status: string) =>
      Number(new RegExp(`stream_consumer_processed_total\\{status="${status}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    t.diagnostic(
      `after the takeover: ${count('persisted')} persisted, ${count('duplicate')} already committed by the killed consumer's last statements`,
    );
    assert.ok(count('persisted') + count('duplicate') > 0);
  });
});
