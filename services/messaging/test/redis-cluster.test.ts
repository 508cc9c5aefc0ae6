// REDIS_CLUSTER_ENABLED against a real three-master Redis Cluster started here: each partition's
// keys share one slot and the 16 partitions land on all three masters; a bounded burst goes
// publish → consume → ack with nothing lost and nothing persisted twice; a poison message goes to
// its partition's dead-letter stream and back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, type RedisCluster, startRedisCluster } from '@cutover/service-kit/testing';
import { Cluster } from 'ioredis';
import { partitionFor } from '../src/streams/partition-for.ts';
import { PERSISTENCE_GROUP, partitionList } from '../src/streams/stream-keys.ts';
import { httpJson, messageBody } from './support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from './support/in-process.ts';
import { messagingEnv } from './support/messaging-env.ts';
import { installPoisonRule, liftPoisonRule } from './support/poison-rule.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';
import { waitFor } from './support/wait-for.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const BURST_CONVERSATIONS = 48;
const BURST_PER_CONVERSATION = 25;

describe('Redis Cluster', () => {
  let cluster: RedisCluster;
  let db: TestDatabase;
  let api: RunningApi;
  let consumer: RunningConsumer;
  let client: Cluster;
  const prefix = 'msg-cluster-test:';

  /** The master port serving a key's slot, from CLUSTER KEYSLOT and the cluster's slot map. */
  async function placement(key: string): Promise<{ slot: number; port: number }> {
    const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
    const range = cluster.slotRanges.find(([from, to]) => slot >= from && slot <= to);
    assert.ok(range, `slot ${slot} is served`);
    return { slot, port: range[2] };
  }
  const master = (port: number) => {
    const node = client.nodes('master').find((n) => n.options.port === port);
    assert.ok(node, `a master on ${port}`);
    return node;
  };

  before(async () => {
    cluster = await startRedisCluster();
    db = await createMigratedDatabase('cluster');
    const env = messagingEnv(db.url, prefix, {
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      REDIS_URL: 'redis://127.0.0.1:1/0', // ignored in cluster mode: a wrong one proves it
      STREAM_MAX_RETRIES: '3',
      STREAM_HANDLER_TIMEOUT_MS: '2000',
      STREAM_CLAIM_MIN_IDLE_MS: '2500',
      STREAM_RECLAIM_INTERVAL_MS: '200',
      STREAM_BATCH_SIZE: '50',
      ADMIN_TOKEN,
    });
    // The database refuses to persist one particular message until the test lifts the rule.
    await installPoisonRule(db.pool);
    api = await startApi(env);
    consumer = await startConsumer(env);
    client = new Cluster(cluster.nodes, { redisOptions: { protocol: 2 } });
  });
  after(async () => {
    client?.disconnect();
    await consumer?.stop();
    await api?.stop();
    await db?.drop();
    await cluster?.stop();
  });

  test("each partition's stream, lease and dead-letter stream share one slot, and the 16 partitions use all three masters", async () => {
    await waitFor(
      'the consumer to hold all 16 partitions',
      async () => (consumer.runner?.workers().length === 16 ? true : undefined),
      30_000,
    );
    const keys = api.keys;
    assert.equal(keys.layout, 'cluster');
    const masters = new Map<number, number[]>();
    for (const p of partitionList(16)) {
      const [stream, lease, dlq] = await Promise.all([placement(keys.stream(p)), placement(keys.lease(p)), placement(keys.dlq(p))]);
      assert.equal(lease.slot, stream.slot, `partition ${p}: lease in the stream's slot`);
      assert.equal(dlq.slot, stream.slot, `partition ${p}: dead-letter stream in the stream's slot`);
      masters.set(stream.port, [...(masters.get(stream.port) ?? []), p]);
      // The keys really are on that master (asked directly, no redirection): streams and groups exist, the lease is held.
      const node = master(stream.port);
      assert.equal(await node.exists(keys.stream(p), keys.dlq(p), keys.lease(p)), 3, `partition ${p}'s keys on ${stream.port}`);
    }
    assert.equal(masters.size, 3, `partitions by master port: ${JSON.stringify([...masters])}`);
    for (const [port, partitions] of masters) assert.ok(partitions.length >= 4, `master ${port} holds ${partitions.length} partitions`);
  });

  test('a bounded burst is published, consumed and acknowledged: lost 0, duplicated 0, conversation order kept', async () => {
    const accepted = new Map<string, string>();
    const order = new Map<string, string[]>();
    // Each conversation sends in order; the conversations run side by side (so ingress batches span partitions).
    await Promise.all(
      Array.from({ length: BURST_CONVERSATIONS }, async (_, c) => {
        const conversationId = `burst-${c}`;
        const ids: string[] = [];
        for (let i = 0; i < BURST_PER_CONVERSATION; i++) {
          const clientMessageId = `${conversationId}-${i}`;
          const sent = await httpJson(
            'POST',
            `${api.url}/api/messages`,
            messageBody({ conversationId, clientMessageId, content: `m${i}` }),
          );
          assert.equal(sent.status, 201, JSON.stringify(sent.body));
          accepted.set(clientMessageId, sent.body.messageId);
          ids.push(sent.body.messageId);
        }
        order.set(conversationId, ids);
      }),
    );
    const total = BURST_CONVERSATIONS * BURST_PER_CONVERSATION;
    assert.equal(accepted.size, total);
    const partitionsUsed = new Set([...order.keys()].map((c) => partitionFor(c, 16)));
    assert.equal(partitionsUsed.size, 16, 'the burst reaches every partition');

    await waitFor(
      `all ${total} messages persisted`,
      async () => {
        const { rows } = await db.pool.query(
          "SELECT count(*)::int AS n FROM messages WHERE state = 'persisted' AND conversation_id LIKE 'burst-%'",
        );
        return rows[0].n >= total ? true : undefined;
      },
      45_000,
      200,
    );
    const { rows } = await db.pool.query(
      "SELECT client_message_id, id, state, conversation_id, conversation_seq FROM messages WHERE conversation_id LIKE 'burst-%'",
    );
    const lost = [...accepted].filter(([key, id]) => !rows.some((r) => r.client_message_id === key && r.id === id));
    assert.deepEqual(lost, [], 'lost 0');
    assert.equal(rows.length, total, 'duplicated 0: one row per accepted message');
    for (const [conversation, ids] of order) {
      const listed = rows
        .filter((r) => r.conversation_id === conversation)
        .sort((a, b) => Number(a.conversation_seq) - Number(b.conversation_seq));
      assert.deepEqual(
        listed.map((r) => Number(r.conversation_seq)),
        ids.map((_, i) => i + 1),
        `${conversation}: numbered 1..n once each`,
      );
      assert.deepEqual(
        listed.map((r) => r.id),
        ids,
        `${conversation} in send order`,
      );
    }
    await waitFor(
      'every entry acknowledged on every partition',
      async () => {
        for (const p of partitionList(16)) {
          const [pending] = (await client.xpending(api.keys.stream(p), PERSISTENCE_GROUP)) as [number];
          if (Number(pending) !== 0) return undefined;
        }
        return true;
      },
      15_000,
      200,
    );
    const status = await httpJson('GET', `${api.url}/api/queue/status`);
    assert.equal(status.status, 200, JSON.stringify(status.body));
    assert.equal(status.body.totalPending, 0);
    assert.equal(status.body.holders.write, 16);
  });

  test("a poison message goes to its partition's dead-letter stream after 3 deliveries and is persisted once replayed", async () => {
    const conversationId = 'dlq-conv';
    const partition = partitionFor(conversationId, 16);
    const sent = await httpJson(
      'POST',
      `${api.url}/api/messages`,
      messageBody({ conversationId, clientMessageId: 'poison-1', content: 'poison' }),
    );
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const letter = await waitFor(
      'the dead letter',
      async () => {
        const listed = await httpJson('GET', `${api.url}/api/dead-letters`, undefined, auth);
        return listed.body.items?.find((l: { message?: { messageId: string } }) => l.message?.messageId === sent.body.messageId);
      },
      45_000,
      200,
    );
    assert.match(letter.id, new RegExp(`^${partition}:\\d+-\\d+$`));
    assert.equal(letter.partition, partition);
    assert.equal(letter.deliveries, 3);
    const { port } = await placement(api.keys.dlq(partition));
    assert.equal(await master(port).xlen(api.keys.dlq(partition)), 1, 'the dead letter sits on its partition master');

    await liftPoisonRule(db.pool);
    const replayed = await httpJson('POST', `${api.url}/api/dead-letters/${letter.id}/replay`, undefined, auth);
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.body.partition, partition);
    const persisted = await waitFor(
      'the replayed message to persist',
      async () => {
        const { body } = await httpJson('GET', `${api.url}/api/messages/${sent.body.messageId}`);
        return body.state === 'persisted' ? body : undefined;
      },
      30_000,
      200,
    );
    assert.equal(persisted.conversationSeq, 1);
    assert.equal((await httpJson('GET', `${api.url}/api/dead-letters`, undefined, auth)).body.total, 0);
    assert.equal((await httpJson('POST', `${api.url}/api/dead-letters/${letter.id}/replay`, undefined, auth)).status, 404);
  });

  test('dead letters of several partitions list in (id, partition) order and page without skipping equal ids', async () => {
    const keys = api.keys;
    const poisoned = partitionFor('dlq-conv', 16);
    // Two partitions whose dead-letter streams are still empty (explicit ids must exceed a stream's last one).
    const [a, b] = partitionList(16).filter((p) => p !== poisoned);
    const ids = ['1000-1', '1000-2', '2000-1'];
    for (const p of [b, a])
      for (const id of ids) await client.xadd(keys.dlq(p), id, 'partition', String(p), 'streamId', '1-0', 'error', 'test');
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const listed = await httpJson('GET', `${api.url}/api/dead-letters?limit=2${after ? `&after=${after}` : ''}`, undefined, auth);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.total, 6);
      seen.push(...listed.body.items.map((item: { id: string }) => item.id));
      if (!listed.body.next) break;
      after = listed.body.next;
    }
    assert.deepEqual(seen, [`${a}:1000-1`, `${b}:1000-1`, `${a}:1000-2`, `${b}:1000-2`, `${a}:2000-1`, `${b}:2000-1`]);
    assert.equal(
      (await httpJson('POST', `${api.url}/api/dead-letters/1000-1/replay`, undefined, auth)).status,
      404,
      'an id without its partition names nothing on a cluster',
    );
    for (const p of [a, b]) await client.xdel(keys.dlq(p), ...ids);
  });

  test('cluster nodes that do not answer fail the start-up of the api and the consumer instead of hanging it', async () => {
    const env = messagingEnv(db.url, 'msg-cluster-none:', {
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}`,
    });
    await assert.rejects(startApi(env), /startup nodes/);
    await assert.rejects(startConsumer(env), /startup nodes/);
  });
});
