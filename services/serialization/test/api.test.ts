// The HTTP API of one in-process instance on a migrated database and Redis: auth, the guide's
// health documents, vendor serials and their state machine, scoped uniqueness (recorded
// conflicts, resolution, the cache), generation, placeholders, triggers and audit paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { READ_SCOPE } from '../src/auth/token-service.ts';
import { authed, httpJson } from './support/http-json.ts';
import { type RunningService, serviceEnv, startService, testToken } from './support/in-process.ts';
import { type RedisPrefix, redisPrefix } from './support/redis-prefix.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

describe('serialization API (in process)', () => {
  let db: TestDatabase;
  let redis: RedisPrefix;
  let svc: RunningService;
  let call: ReturnType<typeof authed>;
  let api: string;

  before(async () => {
    db = await createMigratedDatabase('api', 4);
    redis = redisPrefix('api');
    svc = await startService(serviceEnv(db.url), redis.prefix);
    call = authed(await testToken());
    api = `${svc.url}/api/v1/serialization`;
    const pattern = await call('POST', `${api}/patterns`, {
      id: 'unit',
      name: 'units',
      template: 'S{PART}{YY}{MM}{SEQ:5}{CHECK}',
      sequenceBase: 36,
      sequenceMax: 36 ** 5 - 1,
      resetRule: 'monthly',
      checkAlgorithm: 'iso7064-mod37-2',
    });
    assert.equal(pattern.status, 201, JSON.stringify(pattern.body));
  });
  after(async () => {
    await svc?.stop();
    await db?.drop();
    await redis?.cleanup();
  });

  test('the service connects with jit off (src/db/session-options.ts)', async () => {
    const { rows } = await svc.pool.query<{ jit: string }>('SHOW jit');
    assert.equal(rows[0].jit, 'off');
  });

  test("the guide's health documents", async () => {
    const health = await httpJson('GET', `${svc.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.database, 'connected');
    assert.equal(health.body.redis, 'connected');
    assert.ok(Date.parse(health.body.timestamp) > 0 && health.body.uptime >= 0);
    const pool = await httpJson('GET', `${svc.url}/api/v1/health/db`);
    assert.equal(pool.status, 200);
    assert.equal(pool.body.status, 'connected');
    assert.ok(Number.isInteger(pool.body.responseTime));
    assert.deepEqual(Object.keys(pool.body.poolConnections).sort(), ['active', 'idle', 'max', 'total', 'waiting']);
    const metrics = await fetch(`${svc.url}/metrics`).then((r) => r.text());
    for (const name of ['db_pool_active', 'db_pool_max', 'db_query_duration_seconds_bucket', 'http_requests_total'])
      assert.match(metrics, new RegExp(`^${name}`, 'm'));
  });

  test('no token, an expired one, a read-only one on a write: 401, 401, 403, and nothing written', async () => {
    const body = { vendorSerialNumber: 'AUTH-1', vendorName: 'V', partId: 'P-AUTH', receivedDate: '2024-11-01' };
    assert.equal((await httpJson('POST', `${api}/vendor/receive`, body)).status, 401);
    const expired = await testToken('x', undefined, -120);
    assert.equal((await authed(expired)('POST', `${api}/vendor/receive`, body)).status, 401);
    const readOnly = await testToken('reader', [READ_SCOPE]);
    assert.equal((await authed(readOnly)('POST', `${api}/vendor/receive`, body)).status, 403);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM serials WHERE part_id = 'P-AUTH'");
    assert.equal(rows[0].n, 0);
  });

  test('vendor serial: receive, inspect, accept; refused transitions change nothing and say what is allowed', async () => {
    const received = await call('POST', `${api}/vendor/receive`, {
      vendorSerialNumber: 'TEST-2024-001',
      vendorName: 'Test Vendor',
      partId: 'PART-001',
      receivedDate: '2024-11-01',
    });
    assert.equal(received.status, 201, JSON.stringify(received.body));
    assert.equal(received.body.status, 'received');
    const id = received.body.id;
    const tooEarly = await call('POST', `${api}/vendor/${id}/consume`, {});
    assert.equal(tooEarly.status, 409);
    assert.equal(tooEarly.body.code, 'invalid_transition');
    assert.deepEqual(tooEarly.body.allowedCommands, ['inspect', 'reject']);
    assert.equal((await call('POST', `${api}/vendor/${id}/reject`, {})).body.code, 'reason_required');
    assert.equal((await call('POST', `${api}/vendor/${id}/inspect`, {})).body.status, 'inspected');
    assert.equal((await call('POST', `${api}/vendor/${id}/accept`, {})).body.status, 'accepted');
    const audit = await call('GET', `${api}/audit/events?partId=PART-001`);
    assert.deepEqual(
      audit.body.events.map((e: { eventType: string }) => e.eventType),
      ['vendor_serial:accepted', 'vendor_serial:inspected', 'vendor_serial:received'],
    );
    assert.deepEqual(audit.body.events[0].before, { status: 'inspected' });
  });

  test('malformed serials get a 422 naming the problem', async () => {
    for (const [serial, why] of [
      ['', /request body is invalid/],
      ['A'.repeat(21), /21 characters/],
      ['AB 12', /outside the GS1 serial set/],
      ['tmp-123', /reserved for placeholders/],
    ] as const) {
      const result = await call('POST', `${api}/vendor/receive`, {
        vendorSerialNumber: serial,
        vendorName: 'V',
        partId: 'P-BAD',
        receivedDate: '2024-11-01',
      });
      assert.ok([400, 422].includes(result.status), serial);
      assert.match(result.body.detail, why);
    }
  });

  test('a duplicate in scope is refused, recorded, and resolved by relabelling, never overwritten', async () => {
    const body = { vendorSerialNumber: 'dup-77', vendorName: 'Acme', partId: 'P-DUP', receivedDate: '2024-11-01', scope: 'part' };
    assert.equal((await call('POST', `${api}/vendor/receive`, body)).status, 201);
    const again = await call('POST', `${api}/vendor/receive`, { ...body, vendorSerialNumber: ' DUP-77 ', vendorName: 'Other Vendor' });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'serial_duplicate_in_scope');
    // Per vendor, another vendor's DUP-77 of the same part is a different serial.
    assert.equal(
      (await call('POST', `${api}/vendor/receive`, { ...body, vendorName: 'Third', scope: 'vendor' })).status,
      409,
      'the part-scoped one still covers it',
    );
    assert.equal((await call('POST', `${api}/vendor/receive`, { ...body, partId: 'P-DUP-2', scope: 'vendor' })).status, 201);
    const checks = await call('GET', `${api}/uniqueness/checks?status=conflict&partId=P-DUP`);
    assert.equal(checks.body.checks.length, 2);
    const id = again.body.uniquenessCheckId;
    const taken = await call('POST', `${api}/uniqueness/checks/${id}/resolve`, {
      resolution: 'relabelled',
      serialNumber: 'DUP-77',
      reason: 'try',
    });
    assert.equal(taken.status, 409, 'relabelling to a taken value is refused too');
    const relabelled = await call('POST', `${api}/uniqueness/checks/${id}/resolve`, {
      resolution: 'relabelled',
      serialNumber: 'DUP-77-B',
      reason: 'vendor relabelled the unit',
    });
    assert.equal(relabelled.status, 200, JSON.stringify(relabelled.body));
    assert.equal(relabelled.body.status, 'relabelled');
    assert.equal((await call('POST', `${api}/uniqueness/checks/${id}/resolve`, { resolution: 'rejected', reason: 'twice' })).status, 409);
    const original = await db.pool.query("SELECT vendor_name FROM vendor_serials WHERE serial_number = 'dup-77' AND part_id = 'P-DUP'");
    assert.deepEqual(original.rows, [{ vendor_name: 'Acme' }]);
  });

  test('uniqueness check: the database answers, then the cache answers "taken"', async () => {
    await call('POST', `${api}/vendor/receive`, {
      vendorSerialNumber: 'CACHE-1',
      vendorName: 'V',
      partId: 'P-C',
      receivedDate: '2024-11-01',
    });
    const free = await call('GET', `${api}/uniqueness/check?serialNumber=CACHE-2&partId=P-C`);
    assert.deepEqual([free.body.taken, free.body.source], [false, 'database']);
    const first = await call('GET', `${api}/uniqueness/check?serialNumber=cache-1&partId=P-C`);
    assert.deepEqual([first.body.taken, first.body.source], [true, 'cache'], 'the receipt filled the cache');
    await redis.cleanup();
    redis = redisPrefix('api');
  });

  test('generation: consecutive serials with valid check characters; an Idempotency-Key replays', async () => {
    const headers = { authorization: `Bearer ${await testToken()}`, 'idempotency-key': '"gen-1"' };
    const first = await httpJson('POST', `${api}/patterns/unit/generate`, { partId: 'P-GEN', count: 3 }, headers);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(
      first.body.serials.map((s: { sequenceValue: number }) => s.sequenceValue),
      [1, 2, 3],
    );
    const replay = await httpJson('POST', `${api}/patterns/unit/generate`, { partId: 'P-GEN', count: 3 }, headers);
    assert.deepEqual(replay.body, first.body);
    const next = await call('POST', `${api}/patterns/unit/generate`, { partId: 'P-GEN', count: 1 });
    assert.equal(next.body.serials[0].sequenceValue, 4, 'the replay took no values');
    // One audit event per generated batch, listing its serials; a serial number finds it.
    const second = first.body.serials[1];
    const audit = await call('GET', `${api}/audit/events?serialNumber=${encodeURIComponent(second.serialNumber)}`);
    assert.equal(audit.body.events.length, 1, JSON.stringify(audit.body));
    assert.equal(audit.body.events[0].eventType, 'system_serials:generated');
    assert.deepEqual(
      audit.body.events[0].after.serials,
      first.body.serials.map((s: { id: string; serialNumber: string; sequenceValue: number }) => ({
        id: s.id,
        serialNumber: s.serialNumber,
        sequence: s.sequenceValue,
      })),
    );
    const fourth = await call('GET', `${api}/audit/events?serialNumber=${encodeURIComponent(next.body.serials[0].serialNumber)}`);
    assert.deepEqual(
      fourth.body.events.map((e: { after: { serials: { sequence: number }[] } }) => e.after.serials.map((s) => s.sequence)),
      [[4]],
      'only the batch that holds the serial',
    );
    const refused = await call('POST', `${api}/patterns`, {
      id: 'bad',
      name: 'bad',
      template: 'X{YY}{SEQ:4}',
      sequenceMax: 9999,
      resetRule: 'daily',
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'pattern_cannot_be_unique');
  });

  test('labels: ZPL and SVG of a serial; a placeholder is not printable', async () => {
    const serial = (await call('POST', `${api}/patterns/unit/generate`, { partId: 'P-LBL', count: 1 })).body.serials[0];
    const token = await testToken();
    const zpl = await fetch(`${api}/labels/${serial.id}?format=zpl`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(zpl.status, 200);
    assert.match(await zpl.text(), new RegExp(`\\^BXN,6,200\n\\^FH_\\^FD${serial.serialNumber}\\^FS`));
    const svg = await fetch(`${api}/labels/${serial.id}?format=svg&template=unit-code128`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(await svg.text(), /<svg/);
    const placeholder = (await call('POST', `${api}/placeholders`, { partId: 'P-LBL' })).body;
    assert.equal((await call('GET', `${api}/labels/${placeholder.id}`)).body.code, 'placeholder_not_printable');
  });

  test('triggers: an operation event generates once; re-sent, it returns the same serials; statistics count it', async () => {
    const trigger = await call('POST', `${api}/triggers`, {
      name: 'op20',
      partId: 'P-TRG',
      eventType: 'operation_complete',
      operationCode: 'OP-20',
      action: 'generate',
      patternId: 'unit',
    });
    assert.equal(trigger.status, 201, JSON.stringify(trigger.body));
    const event = { eventId: 'evt-1', eventType: 'operation_complete', partId: 'P-TRG', operationCode: 'OP-20', quantity: 2 };
    const [a, b] = await Promise.all([call('POST', `${api}/events`, event), call('POST', `${api}/events`, event)]);
    const first = a.body.replayed ? b.body : a.body;
    const second = a.body.replayed ? a.body : b.body;
    assert.equal(second.replayed, true);
    assert.equal(first.executions[0].outcome, 'assigned');
    assert.deepEqual(
      second.executions[0].serials.map((s: { serialNumber: string }) => s.serialNumber).sort(),
      first.executions[0].serials.map((s: { serialNumber: string }) => s.serialNumber).sort(),
    );
    const other = await call('POST', `${api}/events`, { ...event, operationCode: 'OP-30', eventId: 'evt-2' });
    assert.deepEqual(other.body.executions, [], 'a trigger of another operation does not fire');
    const stats = await call('GET', `${api}/triggers/statistics/P-TRG`);
    assert.equal(stats.body.executions, 1);
    assert.equal(stats.body.serialsAssigned, 2);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM system_generated_serials WHERE part_id = 'P-TRG'");
    assert.equal(rows[0].n, 2);
  });

  test('audit events page by cursor, newest first, through the whole trail', async () => {
    for (let i = 0; i < 5; i++)
      await call('POST', `${api}/vendor/receive`, {
        vendorSerialNumber: `PG-${i}`,
        vendorName: 'V',
        partId: 'P-PAGE',
        receivedDate: '2024-11-01',
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `${api}/audit/events?partId=P-PAGE&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.events.map((e: { serialNumber: string }) => e.serialNumber));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ['PG-4', 'PG-3', 'PG-2', 'PG-1', 'PG-0']);
    const verify = await call('GET', `${api}/audit/verify`);
    assert.equal(verify.body.intact, true);
  });
});
