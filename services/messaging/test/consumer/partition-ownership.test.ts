// Two consumer processes split the 16 partitions between them through Redis leases; when one is
// killed the other takes its partitions over. Messages keep flowing the whole time, and every
// conversation keeps its send order.
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
import { sleep, waitFor } from '../support/wait-for.ts';

const CONVERSATIONS = 24;

describe('partition ownership across consumer processes', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let env: Record<string, string>;
  const consumers: ServiceProcess[] = [];

  before(async () => {
    db = await createMigratedDatabase('owners');
    redis = redisPrefix('owners');
    env = messagingEnv(db.url, redis.prefix, { STREAM_LEASE_MS: '1500', LOG_LEVEL: 'info' });
    api = await startApi(env);
  });
  after(async () => {
    for (const c of consumers) await c.kill();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  async function ownerCounts(): Promise<Map<string, number>> {
    const owners = await redis.redis.mget(...partitionList(16).map((p) => `${redis.prefix}msg:lease:${p}`));
    const counts = new Map<string, number>();
    for (const owner of owners) if (owner !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return counts;
  }

  test('two consumers own 8 partitions each; the survivor of a SIGKILL owns all 16; order holds throughout', async () => {
    const [a, b] = await Promise.all([
      startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env }),
      startServiceProcess({ serviceDir: SERVICE_DIR, kind: 'consumer', env }),
    ]);
    consumers.push(a, b);
    const split = await waitFor(
      'an even split',
      async () => {
        const counts = await ownerCounts();
        return counts.size === 2 && [...counts.values()].every((n) => n === 8) ? counts : undefined;
      },
      15_000,
      100,
    );
    assert.equal(split.size, 2);

    const stop = new AbortController();
    const accepted = new Map<string, string[]>();
    const senders = Array.from({ length: CONVERSATIONS }, async (_, c) => {
      const conversation = `own-${c}`;
      const ids: string[] = [];
      accepted.set(conversation, ids);
      for (let i = 0; !stop.signal.aborted; i++) {
        const sent = await httpJson(
          'POST',
          `${api.url}/api/messages`,
          messageBody({ conversationId: conversation, clientMessageId: `${conversation}-${i}` }),
        );
        assert.equal(sent.status, 201);
        ids.push(sent.body.messageId);
      }
    });
    try {
      await sleep(800);
      await a.kill();
      const survivor = await waitFor(
        'the survivor to own every partition',
        async () => {
          const counts = await ownerCounts();
          return counts.size === 1 && [...counts.values()][0] === 16 ? [...counts.keys()][0] : undefined;
        },
        15_000,
        100,
      );
      assert.ok(survivor);
      await sleep(500);
    } finally {
      stop.abort();
      await Promise.all(senders);
    }

    const total = [...accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
    await waitFor(
      `all ${total} messages persisted`,
      async () => {
        const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM messages WHERE state = 'persisted'");
        return rows[0].n === total ? true : undefined;
      },
      20_000,
      100,
    );
    for (const [conversation, ids] of accepted) {
      const { rows } = await db.pool.query('SELECT id FROM messages WHERE conversation_id = $1 ORDER BY conversation_seq', [conversation]);
      assert.deepEqual(
        rows.map((r) => r.id),
        ids,
        `${conversation} keeps its send order`,
      );
    }
    assert.match(b.output(), /partition worker started/);
  });
});
