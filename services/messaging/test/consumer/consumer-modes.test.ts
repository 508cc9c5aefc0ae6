// The guide's staged rollout, stage by stage: consumers disabled (messages wait in the streams),
// shadow (consumers read on their own group and write nothing), enabled (everything persists,
// the messages of the earlier stages included).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpJson, messageBody } from '../support/http-json.ts';
import { type RunningApi, type RunningConsumer, startApi, startConsumer } from '../support/in-process.ts';
import { messagingEnv } from '../support/messaging-env.ts';
import { type RedisPrefix, redisPrefix } from '../support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';
import { sleep, waitFor } from '../support/wait-for.ts';

function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  return metrics
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('consumer modes: disabled, shadow, write', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let api: RunningApi;
  let env: Record<string, string>;
  const running: RunningConsumer[] = [];

  before(async () => {
    db = await createMigratedDatabase('modes');
    redis = redisPrefix('modes');
    env = messagingEnv(db.url, redis.prefix);
    api = await startApi(env);
  });
  after(async () => {
    for (const c of running) await c.stop();
    await api?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  const send = async (prefix: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const sent = await httpJson(
        'POST',
        `${api.url}/api/messages`,
        messageBody({ conversationId: `${prefix}-${i % 4}`, clientMessageId: `${prefix}-${i}` }),
      );
      assert.equal(sent.status, 201);
    }
  };
  const states = async () => {
    const { rows } = await db.pool.query('SELECT state, count(*)::int AS n FROM messages GROUP BY state ORDER BY state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  };

  test('stage 1, consumers disabled: the process serves health and metrics, owns nothing, messages wait', async () => {
    const disabled = await startConsumer({ ...env, ENABLE_STREAM_CONSUMERS: 'false' });
    running.push(disabled);
    assert.equal(disabled.runner, null);
    assert.equal((await fetch(`${disabled.url}/health/ready`)).status, 200);
    await send('s1', 10);
    await sleep(400);
    assert.deepEqual(await states(), { pending: 10 });
    assert.equal(await redis.redis.exists(`${redis.prefix}msg:lease:0`), 0);
    const status = await httpJson('GET', `${api.url}/api/queue/status?maxLag=0`);
    assert.equal(status.status, 200, 'nobody persists yet: the waiting entries are reported, not judged');
    assert.equal(status.body.unownedLag, 10);
    assert.deepEqual(status.body.holders, { write: 0, shadow: 0, none: 16 });
    await disabled.stop();
  });

  test('stage 2, shadow: consumers own the partitions and read everything new, but write nothing', async () => {
    const shadow = await startConsumer({ ...env, STREAM_CONSUMER_MODE: 'shadow' });
    running.push(shadow);
    await waitFor('16 shadow workers', () => (shadow.runner?.workers().length === 16 ? true : undefined));
    await send('s2', 10);
    await waitFor('the shadow reads', async () => {
      const metrics = await (await fetch(`${shadow.url}/metrics`)).text();
      return sample(metrics, 'stream_consumer_processed_total', { status: 'shadow' }) === 10 ? true : undefined;
    });
    assert.deepEqual(await states(), { pending: 20 });
    const status = await httpJson('GET', `${api.url}/api/queue/status?maxLag=0`);
    assert.equal(status.status, 200);
    assert.equal(status.body.totalLag, 20, 'the persistence group has delivered nothing');
    assert.equal(status.body.unownedLag, 20);
    assert.deepEqual(status.body.holders, { write: 0, shadow: 16, none: 0 });
    await shadow.stop();
  });

  test('stage 3, enabled: every message, from every stage, is persisted', async () => {
    const writer = await startConsumer(env);
    running.push(writer);
    await send('s3', 10);
    await waitFor('30 persisted', async () => ((await states()).persisted === 30 ? true : undefined));
    const status = await waitFor('no lag', async () => {
      const got = await httpJson('GET', `${api.url}/api/queue/status?maxLag=0&maxDeadLetters=0`);
      return got.status === 200 ? got.body : undefined;
    });
    assert.equal(status.totalPending, 0);
    assert.deepEqual(status.holders, { write: 16, shadow: 0, none: 0 });
  });
});
