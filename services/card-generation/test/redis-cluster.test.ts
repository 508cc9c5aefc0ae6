// Redis Cluster mode (REDIS_CLUSTER_ENABLED / REDIS_CLUSTER_NODES) against a real three-master
// cluster started here: a bulk job runs through BullMQ on the cluster, every queue key hashes to one
// slot (the hash-tagged prefix), and the cache invalidates across two api instances.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RedisCluster, startRedisCluster, waitFor } from '@cutover/service-kit/testing';
import { Cluster } from 'ioredis';
import { cardEnv } from './support/card-env.ts';
import { getJson, type InProcessApi, type InProcessWorker, postJson, startApi, startWorker } from './support/in-process.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

describe('Redis Cluster', () => {
  let cluster: RedisCluster;
  let db: TestDatabase;
  let apis: InProcessApi[] = [];
  let worker: InProcessWorker;
  let client: Cluster;
  const prefix = `cg-cluster-${Date.now()}:`;

  before(async () => {
    cluster = await startRedisCluster();
    db = await createMigratedDatabase('cluster');
    const env = cardEnv(db.url, prefix, {
      REDIS_CLUSTER_ENABLED: 'true',
      REDIS_CLUSTER_NODES: cluster.nodesEnv,
      REDIS_URL: 'redis://127.0.0.1:1/0', // not used in cluster mode: a wrong one proves it
      BULK_CHUNK_SIZE: '1000',
    });
    apis = [await startApi(env), await startApi(env)];
    worker = await startWorker(env);
    client = new Cluster(cluster.nodes);
  });
  after(async () => {
    client?.disconnect();
    await worker?.close();
    for (const api of apis) await api.close();
    await db?.drop();
    await cluster?.stop();
  });

  test('a bulk job completes through BullMQ on the cluster, with all queue keys in one slot', async () => {
    const created = await postJson(`${apis[0].url}/api/v1/cards/bulk`, { network: 'visa', count: 5_000 });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.job.id;
    const job = await waitFor(
      'the job to complete',
      async () => {
        const { body } = await getJson(`${apis[1].url}/api/v1/jobs/${id}`);
        return body.job.state === 'completed' ? body.job : undefined;
      },
      60_000,
      100,
    );
    assert.equal(job.done, 5_000);
    const { rows } = await db.pool.query('SELECT count(DISTINCT pan_hash)::int AS n FROM cards WHERE job_id = $1', [id]);
    assert.equal(rows[0].n, 5_000);
    // Every key of the queue lives on one master, in one slot.
    const queueKeys: string[] = [];
    for (const node of client.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}card-generation}*`, 'COUNT', 1000);
        queueKeys.push(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    assert.ok(queueKeys.length > 3, `queue keys found: ${queueKeys.length}`);
    const slots = new Set(await Promise.all(queueKeys.map((k) => client.cluster('KEYSLOT', k))));
    assert.equal(slots.size, 1, 'one slot for the whole queue');
  });

  test('a card cached by both instances is invalidated in both when one revokes it', async () => {
    const card = (await postJson(`${apis[0].url}/api/v1/cards`, { network: 'visa' })).body.cards[0];
    for (const api of apis) assert.equal((await getJson(`${api.url}/api/v1/cards/${card.id}`)).body.status, 'active');
    for (const api of apis) assert.equal((await getJson(`${api.url}/api/v1/cards/${card.id}`)).body.status, 'active'); // from L1 now
    const revoke = await fetch(`${apis[0].url}/api/v1/cards/${card.id}`, { method: 'DELETE' });
    assert.equal(revoke.status, 204);
    await waitFor(
      'instance 2 to see the revocation',
      async () => ((await getJson(`${apis[1].url}/api/v1/cards/${card.id}`)).body.status === 'revoked' ? true : undefined),
      10_000,
      50,
    );
    const metrics = await (await fetch(`${apis[1].url}/metrics`)).text();
    assert.match(metrics, /cache_requests_total\{cache="card",tier="local",outcome="hit"[^}]*\} [1-9]/);
  });
});
