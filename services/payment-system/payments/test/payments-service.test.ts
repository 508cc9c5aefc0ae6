import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createJwtSigner, generateSigningKey, type JwtSigner } from '@cutover/service-kit';
import { requestJson } from '@cutover/service-kit/testing';
import { type RunningService, startPayments } from '../../test/support/in-process.ts';
import { paymentsEnv, TEST_AUDIENCE, TEST_ISSUER } from '../../test/support/service-env.ts';
import { createTestDatabase, migrate, type TestDatabase } from '../../test/support/test-database.ts';
import { INVALID_TRANSITION_TYPE } from '../src/payment-routes.ts';

describe('payments service (PostgreSQL, in process)', () => {
  let db: TestDatabase;
  let payments: RunningService;
  let signer: JwtSigner;
  let alice: string;
  let bob: string;

  before(async () => {
    db = await createTestDatabase('payments');
    await migrate('payments', db.url);
    const key = await generateSigningKey('EdDSA');
    signer = await createJwtSigner({ issuer: TEST_ISSUER, keys: [key] });
    // The JWKS comes from the signer directly here; auth-to-payments.test.ts fetches it from the auth service.
    payments = await startPayments(
      paymentsEnv({ databaseUrl: db.url, jwksUrl: 'http://127.0.0.1:9/unused', extra: { LOG_LEVEL: 'info' } }),
      {
        jwks: signer.jwks(),
      },
    );
    const scopes = ['payments:read', 'payments:write'];
    alice = await signer.sign({ subject: 'user-alice', audience: TEST_AUDIENCE, scopes });
    bob = await signer.sign({ subject: 'user-bob', audience: TEST_AUDIENCE, scopes });
  });

  after(async () => {
    await payments?.stop();
    await db?.drop();
  });

  const create = (token: string, body: unknown, key: string | null = randomUUID()) =>
    requestJson(`${payments.url}/`, { body, token, headers: key === null ? {} : { 'idempotency-key': `"${key}"` } });
  const command = (token: string, id: string, path: string, body?: unknown, key?: string) =>
    requestJson(`${payments.url}/${id}/${path}`, { method: 'POST', body, token, headers: key ? { 'idempotency-key': key } : {} });

  describe('authentication', () => {
    test('no token, another issuer, an unknown key, another audience, an expired token: 401', async () => {
      const body = { amount: 100, currency: 'EUR' };
      const none = await create('', body);
      assert.equal(none.status, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);

      const otherIssuer = await createJwtSigner({ issuer: 'https://evil.example', keys: [await generateSigningKey('EdDSA')] });
      const foreign = await create(
        await otherIssuer.sign({ subject: 'user-alice', audience: TEST_AUDIENCE, scopes: ['payments:write'] }),
        body,
      );
      assert.equal(foreign.status, 401);
      assert.match(foreign.body.detail, /invalid token/);

      const sameIssuerOtherKey = await createJwtSigner({ issuer: TEST_ISSUER, keys: [await generateSigningKey('EdDSA')] });
      const forged = await create(
        await sameIssuerOtherKey.sign({ subject: 'user-alice', audience: TEST_AUDIENCE, scopes: ['payments:write'] }),
        body,
      );
      assert.equal(forged.status, 401);

      const otherAudience = await create(
        await signer.sign({ subject: 'user-alice', audience: 'another-service', scopes: ['payments:write'] }),
        body,
      );
      assert.equal(otherAudience.status, 401);

      const expired = await create(
        await signer.sign({ subject: 'user-alice', audience: TEST_AUDIENCE, scopes: ['payments:write'], ttlSec: -60 }),
        body,
      );
      assert.equal(expired.status, 401);
      assert.match(expired.body.detail, /expired/);

      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM payments');
      assert.equal(rows[0].n, 0, 'nothing was created');
    });

    test('a token without payments:write may read but not create: 403', async () => {
      const reader = await signer.sign({ subject: 'user-reader', audience: TEST_AUDIENCE, scopes: ['payments:read'] });
      assert.equal((await create(reader, { amount: 100, currency: 'EUR' })).status, 403);
      assert.equal((await requestJson(`${payments.url}/`, { token: reader })).status, 200);
    });
  });

  describe('create', () => {
    test('amount in minor units with an ISO 4217 currency; 201 with the payment', async () => {
      const created = await create(alice, { amount: 1999, currency: 'EUR', description: 'order 42' });
      assert.equal(created.status, 201);
      assert.equal(created.body.status, 'created');
      assert.equal(created.body.amount, 1999);
      assert.equal(created.body.amountFormatted, '19.99');
      assert.equal(created.body.capturedAmount, 0);
      const yen = await create(alice, { amount: 500, currency: 'JPY' });
      assert.equal(yen.body.amountFormatted, '500');
      const dinar = await create(alice, { amount: 1500, currency: 'KWD' });
      assert.equal(dinar.body.amountFormatted, '1.500');
    });

    test('refuses bad amounts and currencies, naming the field', async () => {
      for (const [body, field] of [
        [{ amount: 10.5, currency: 'EUR' }, 'amount'],
        [{ amount: 0, currency: 'EUR' }, 'amount'],
        [{ amount: '100', currency: 'EUR' }, 'amount'],
        [{ amount: 1e16, currency: 'EUR' }, 'amount'],
        [{ amount: 100, currency: 'eur' }, 'currency'],
        [{ amount: 100, currency: 'XYZ' }, 'currency'],
        [{ amount: 100 }, 'currency'],
        [{ amount: 100, currency: 'EUR', cardNumber: '4242424242424242' }, '(body)'],
      ] as const) {
        const response = await create(alice, body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.errors[0].field, field, JSON.stringify(body));
      }
    });

    test('Idempotency-Key: required, replayed, and 422 when reused for another payment', async () => {
      assert.equal((await create(alice, { amount: 100, currency: 'EUR' }, null)).status, 400);
      const key = randomUUID();
      const first = await create(alice, { amount: 2500, currency: 'USD' }, key);
      const retry = await create(alice, { amount: 2500, currency: 'USD' }, key);
      assert.equal(first.status, 201);
      assert.equal(retry.status, 201);
      assert.equal(retry.body.id, first.body.id);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      const reused = await create(alice, { amount: 2600, currency: 'USD' }, key);
      assert.equal(reused.status, 422);
      // Keys are per caller: Bob's identical key is a different payment.
      const bobs = await create(bob, { amount: 2500, currency: 'USD' }, key);
      assert.equal(bobs.status, 201);
      assert.notEqual(bobs.body.id, first.body.id);
      const { rows } = await db.pool.query(
        'SELECT owner, count(*)::int AS n FROM payments WHERE idempotency_key = $1 GROUP BY owner ORDER BY owner',
        [key],
      );
      assert.deepEqual(rows, [
        { owner: 'user-alice', n: 1 },
        { owner: 'user-bob', n: 1 },
      ]);
    });

    test('a key past the idempotency window still finds its payment (the payments row keeps it)', async () => {
      const key = randomUUID();
      const first = await create(alice, { amount: 700, currency: 'GBP' }, key);
      await db.pool.query('DELETE FROM idempotency_keys WHERE idempotency_key = $1', [key]);
      const late = await create(alice, { amount: 700, currency: 'GBP' }, key);
      assert.equal(late.status, 200);
      assert.equal(late.body.id, first.body.id);
      await db.pool.query('DELETE FROM idempotency_keys WHERE idempotency_key = $1', [key]);
      assert.equal((await create(alice, { amount: 701, currency: 'GBP' }, key)).status, 422);
    });
  });

  describe('state machine over HTTP', () => {
    test('create → authorize → capture (partial) → refund → refund the rest', async () => {
      const { body: payment } = await create(alice, { amount: 10_000, currency: 'EUR' });
      const authorized = await command(alice, payment.id, 'authorize');
      assert.equal(authorized.status, 200);
      assert.equal(authorized.body.status, 'authorized');
      const captured = await command(alice, payment.id, 'capture', { amount: 8_000 });
      assert.equal(captured.body.status, 'captured');
      assert.equal(captured.body.capturedAmount, 8_000);
      const refund = await command(alice, payment.id, 'refunds', { amount: 3_000 });
      assert.equal(refund.body.status, 'partially_refunded');
      assert.equal(refund.body.operation.amount, 3_000);
      const rest = await command(alice, payment.id, 'refunds');
      assert.equal(rest.body.status, 'refunded');
      assert.equal(rest.body.refundedAmount, 8_000);
      const history = await requestJson(`${payments.url}/${payment.id}`, { token: alice });
      assert.deepEqual(
        history.body.operations.map((o: { kind: string; amount: number; toStatus: string }) => [o.kind, o.amount, o.toStatus]),
        [
          ['authorize', 0, 'authorized'],
          ['capture', 8_000, 'captured'],
          ['refund', 3_000, 'partially_refunded'],
          ['refund', 5_000, 'refunded'],
        ],
      );
    });

    test('invalid transitions answer 409 with a problem naming the state and what it accepts', async () => {
      const { body: payment } = await create(alice, { amount: 500, currency: 'EUR' });
      const early = await command(alice, payment.id, 'capture');
      assert.equal(early.status, 409);
      assert.match(early.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(early.body, {
        type: INVALID_TRANSITION_TYPE,
        title: 'Invalid state transition',
        status: 409,
        detail: 'cannot capture a payment that is created: it accepts only authorize, void',
        code: 'invalid_transition',
        command: 'capture',
        paymentStatus: 'created',
        allowedCommands: ['authorize', 'void'],
      });
      assert.equal((await command(alice, payment.id, 'void')).body.status, 'voided');
      const afterVoid = await command(alice, payment.id, 'authorize');
      assert.equal(afterVoid.status, 409);
      assert.equal(afterVoid.body.detail, 'cannot authorize a payment that is voided: it is final');
      assert.deepEqual(afterVoid.body.allowedCommands, []);
      assert.equal((await command(alice, payment.id, 'refunds')).status, 409);
    });

    test('amounts beyond what the state allows: 422', async () => {
      const { body: payment } = await create(alice, { amount: 500, currency: 'EUR' });
      await command(alice, payment.id, 'authorize');
      const tooMuch = await command(alice, payment.id, 'capture', { amount: 501 });
      assert.equal(tooMuch.status, 422);
      assert.equal(tooMuch.body.code, 'invalid_amount');
      await command(alice, payment.id, 'capture', { amount: 200 });
      const refund = await command(alice, payment.id, 'refunds', { amount: 201 });
      assert.equal(refund.status, 422);
      assert.match(refund.body.detail, /between 1 and 200/);
    });

    test('20 concurrent captures of one payment: exactly one captures', async () => {
      const { body: payment } = await create(alice, { amount: 4_200, currency: 'EUR' });
      await command(alice, payment.id, 'authorize');
      const results = await Promise.all(Array.from({ length: 20 }, () => command(alice, payment.id, 'capture')));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(19).fill(409)]);
      const { rows } = await db.pool.query(
        "SELECT count(*)::int AS n, sum(amount)::int AS total FROM payment_operations WHERE payment_id = $1 AND kind = 'capture'",
        [payment.id],
      );
      assert.deepEqual(rows[0], { n: 1, total: 4_200 });
    });

    test('a refund retried with its Idempotency-Key refunds once', async () => {
      const { body: payment } = await create(alice, { amount: 900, currency: 'EUR' });
      await command(alice, payment.id, 'authorize');
      await command(alice, payment.id, 'capture');
      const key = randomUUID();
      const first = await command(alice, payment.id, 'refunds', { amount: 100 }, key);
      const retry = await command(alice, payment.id, 'refunds', { amount: 100 }, key);
      assert.equal(first.status, 200);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.equal((await requestJson(`${payments.url}/${payment.id}`, { token: alice })).body.refundedAmount, 100);
    });

    test("another user's payment does not exist for you", async () => {
      const { body: payment } = await create(alice, { amount: 300, currency: 'EUR' });
      assert.equal((await requestJson(`${payments.url}/${payment.id}`, { token: bob })).status, 404);
      assert.equal((await command(bob, payment.id, 'void')).status, 404);
      assert.equal((await requestJson(`${payments.url}/not-a-uuid`, { token: alice })).status, 404);
      assert.equal((await requestJson(`${payments.url}/${payment.id}`, { token: alice })).body.status, 'created');
    });
  });

  describe('list', () => {
    test('newest first, cursor pages without gaps or repeats, only your own', async () => {
      const carol = await signer.sign({ subject: 'user-carol', audience: TEST_AUDIENCE, scopes: ['payments:read', 'payments:write'] });
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) ids.push((await create(carol, { amount: i * 100, currency: 'EUR' })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await requestJson(`${payments.url}/?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: carol });
        assert.equal(page.status, 200);
        seen.push(...page.body.data.map((p: { id: string }) => p.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].reverse());
      assert.equal((await requestJson(`${payments.url}/?cursor=garbage`, { token: carol })).status, 400);
      assert.equal((await requestJson(`${payments.url}/?limit=1000`, { token: carol })).status, 400);
      const dave = await signer.sign({ subject: 'user-dave', audience: TEST_AUDIENCE, scopes: ['payments:read'] });
      assert.deepEqual((await requestJson(`${payments.url}/`, { token: dave })).body, { data: [], nextCursor: null });
    });
  });

  test('readiness checks PostgreSQL; logs hold no token and no card number', async () => {
    const ready = await requestJson(`${payments.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.ok(ready.body.checks['postgres:responseTime']);
    assert.ok(payments.logs.lines.length > 0);
    assert.ok(!payments.logs.text().includes(alice.split('.')[2]));
    assert.ok(!payments.logs.text().includes('4242424242424242'), 'the card number sent to create is nowhere in the logs');
  });
});
