// Two instances on one database resolving the same placeholders at once: each is resolved exactly
// once, the loser gets 409 and no counter value is spent for it. Genealogy at the depth limit and
// one past it, cycles refused, both traversals, and a placeholder's links moving to its serial.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authed } from './support/http-json.ts';
import { type RunningService, serviceEnv, startService, testToken } from './support/in-process.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

const DEPTH_LIMIT = 50;

describe('placeholders on two instances, genealogy (in process)', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let a: RunningService;
  let b: RunningService;
  let call: ReturnType<typeof authed>;

  before(async () => {
    db = await createMigratedDatabase('late', 4);
    redis = redisPrefix('late');
    const env = serviceEnv(db.url, { SERIAL_PROPAGATION_DEPTH_LIMIT: String(DEPTH_LIMIT), DB_POOL_SIZE: '8' });
    [a, b] = await Promise.all([startService(env, redis.prefix), startService(env, redis.prefix)]);
    call = authed(await testToken());
    const created = await call('POST', `${a.url}/api/v1/serialization/patterns`, {
      id: 'final',
      name: 'final serials',
      template: 'F{SEQ:6}',
      sequenceMax: 999_999,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
    await redis?.cleanup();
  });

  test('10 placeholders, each resolved by both instances at once: exactly one wins, no value wasted', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push((await call('POST', `${a.url}/api/v1/serialization/placeholders`, { partId: 'P-LATE', operationCode: 'OP-10' })).body.id);
    const results = await Promise.all(
      ids.flatMap((id) =>
        [a, b].map((instance) => call('POST', `${instance.url}/api/v1/serialization/placeholders/${id}/resolve`, { patternId: 'final' })),
      ),
    );
    for (let i = 0; i < ids.length; i++) {
      const pair = [results[2 * i], results[2 * i + 1]].map((r) => r.status).sort();
      assert.deepEqual(pair, [200, 409], `placeholder ${i}`);
      const loser = [results[2 * i], results[2 * i + 1]].find((r) => r.status === 409);
      assert.equal(loser?.body.code, 'placeholder_already_resolved');
    }
    const serials = results
      .filter((r) => r.status === 200)
      .map((r) => r.body.resolvedSerialNumber)
      .sort();
    assert.deepEqual(
      serials,
      Array.from({ length: 10 }, (_, i) => `F${String(i + 1).padStart(6, '0')}`),
      'values 1..10, none spent by a loser',
    );
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM audit_events WHERE event_type = 'placeholder:resolved'");
    assert.equal(rows[0].n, 10);
  });

  test("a placeholder's genealogy moves to its final serial; a retired placeholder cannot be linked", async () => {
    const api = `${b.url}/api/v1/serialization`;
    const component = (await call('POST', `${api}/patterns/final/generate`, { partId: 'P-LATE', count: 1 })).body.serials[0];
    const placeholder = (await call('POST', `${api}/placeholders`, { partId: 'P-LATE' })).body;
    assert.equal(
      (await call('POST', `${api}/genealogy/links`, { parentSerialId: placeholder.id, childSerialId: component.id })).status,
      201,
    );
    const resolved = await call('POST', `${api}/placeholders/${placeholder.id}/resolve`, { patternId: 'final' });
    assert.equal(resolved.status, 200);
    const madeOf = await call('GET', `${api}/genealogy/${resolved.body.resolvedSerialId}/made-of`);
    assert.deepEqual(
      madeOf.body.nodes.map((n: { serialId: string }) => n.serialId),
      [component.id],
    );
    const retired = await call('POST', `${api}/genealogy/links`, { parentSerialId: placeholder.id, childSerialId: component.id });
    assert.equal(retired.body.code, 'serial_retired');
  });

  test(`a chain of ${DEPTH_LIMIT} links is accepted, one more is refused; cycles are refused`, async () => {
    const api = `${a.url}/api/v1/serialization`;
    const chain = (await call('POST', `${api}/patterns/final/generate`, { partId: 'P-GEN', count: DEPTH_LIMIT + 2 })).body.serials.map(
      (s: { id: string }) => s.id,
    );
    for (let i = 0; i < DEPTH_LIMIT; i++) {
      const link = await call('POST', `${api}/genealogy/links`, { parentSerialId: chain[i], childSerialId: chain[i + 1] });
      assert.equal(link.status, 201, `link ${i}: ${JSON.stringify(link.body)}`);
      assert.equal(link.body.chainDepth, i + 1);
    }
    const past = await call('POST', `${api}/genealogy/links`, {
      parentSerialId: chain[DEPTH_LIMIT],
      childSerialId: chain[DEPTH_LIMIT + 1],
    });
    assert.equal(past.status, 422);
    assert.equal(past.body.code, 'genealogy_too_deep');
    assert.equal(past.body.chainDepth, DEPTH_LIMIT + 1);
    const above = await call('POST', `${api}/genealogy/links`, { parentSerialId: chain[DEPTH_LIMIT + 1], childSerialId: chain[0] });
    assert.equal(above.body.code, 'genealogy_too_deep', 'a new top above the chain is one level too many as well');
    const cycle = await call('POST', `${api}/genealogy/links`, { parentSerialId: chain[30], childSerialId: chain[5] });
    assert.equal(cycle.status, 422);
    assert.equal(cycle.body.code, 'genealogy_cycle');
    const self = await call('POST', `${api}/genealogy/links`, { parentSerialId: chain[3], childSerialId: chain[3] });
    assert.equal(self.body.code, 'genealogy_cycle');

    const madeOf = await call('GET', `${api}/genealogy/${chain[0]}/made-of`);
    assert.equal(madeOf.body.nodes.length, DEPTH_LIMIT);
    assert.equal(madeOf.body.nodes.at(-1).depth, DEPTH_LIMIT);
    assert.equal(madeOf.body.truncated, false);
    const whereUsed = await call('GET', `${api}/genealogy/${chain[DEPTH_LIMIT]}/where-used`);
    assert.deepEqual(
      whereUsed.body.nodes.map((n: { serialId: string }) => n.serialId),
      chain.slice(0, DEPTH_LIMIT).reverse(),
    );
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM serial_propagations WHERE valid_to IS NULL AND created_by = 'tester'",
    );
    assert.equal(rows[0].n, DEPTH_LIMIT + 1, 'the refused links left nothing (50 in the chain, 1 from the placeholder test)');
  });

  test('a vendor serial must be accepted to be used; a permanent link consumes it', async () => {
    const api = `${a.url}/api/v1/serialization`;
    const assembly = (await call('POST', `${api}/patterns/final/generate`, { partId: 'P-ASM', count: 1 })).body.serials[0];
    const vendor = (
      await call('POST', `${api}/vendor/receive`, {
        vendorSerialNumber: 'V-ASM-1',
        vendorName: 'V',
        partId: 'P-COMP',
        receivedDate: '2024-11-01',
      })
    ).body;
    const early = await call('POST', `${api}/genealogy/links`, { parentSerialId: assembly.id, childSerialId: vendor.id });
    assert.equal(early.body.code, 'component_not_accepted');
    await call('POST', `${api}/vendor/${vendor.id}/inspect`, {});
    await call('POST', `${api}/vendor/${vendor.id}/accept`, {});
    assert.equal((await call('POST', `${api}/genealogy/links`, { parentSerialId: assembly.id, childSerialId: vendor.id })).status, 201);
    assert.equal((await call('GET', `${api}/vendor/${vendor.id}`)).body.status, 'consumed');
  });
});
