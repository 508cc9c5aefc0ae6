// The two services together: tokens issued by the auth service, verified by payments through its JWKS URL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createJwtSigner, generateSigningKey } from '@cutover/service-kit';
import { requestJson } from '@cutover/service-kit/testing';
import { type RunningService, startAuth, startPayments } from './support/in-process.ts';
import { redisPrefix } from './support/redis-prefix.ts';
import { authEnv, paymentsEnv, signingKeysFile, TEST_AUDIENCE, TEST_ISSUER } from './support/service-env.ts';
import { createTestDatabase, migrate, type TestDatabase } from './support/test-database.ts';

describe('auth tokens at the payments service', () => {
  let authDb: TestDatabase;
  let paymentsDb: TestDatabase;
  let auth: RunningService;
  let payments: RunningService;
  let dir: string;
  const redis = redisPrefix('a2p');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ps-a2p-'));
    [authDb, paymentsDb] = await Promise.all([createTestDatabase('a2p_auth'), createTestDatabase('a2p_payments')]);
    await Promise.all([migrate('auth', authDb.url), migrate('payments', paymentsDb.url)]);
    const keysFile = join(dir, 'keys.json');
    auth = await startAuth(authEnv({ databaseUrl: authDb.url, keysFile, throttlePrefix: redis.prefix }), await signingKeysFile(keysFile));
    payments = await startPayments(paymentsEnv({ databaseUrl: paymentsDb.url, jwksUrl: `${auth.url}/.well-known/jwks.json` }));
  });

  after(async () => {
    await payments?.stop();
    await auth?.stop();
    await Promise.all([authDb?.drop(), paymentsDb?.drop()]);
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tokenFor(email: string): Promise<string> {
    const password = 'a long enough passphrase';
    assert.equal((await requestJson(`${auth.url}/register`, { body: { email, password } })).status, 201);
    const login = await requestJson(`${auth.url}/login`, { body: { email, password } });
    assert.equal(login.status, 200);
    return login.body.access_token;
  }

  test('register, login, then create → authorize → capture → refund with the access token', async () => {
    const token = await tokenFor('payer@example.com');
    const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
      requestJson(`${payments.url}${path}`, { method: 'POST', body, token, headers });
    const created = await post('/', { amount: 12_50, currency: 'EUR', description: 'two coffees' }, { 'idempotency-key': randomUUID() });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal((await post(`/${id}/authorize`)).body.status, 'authorized');
    assert.equal((await post(`/${id}/capture`)).body.status, 'captured');
    const refunded = await post(`/${id}/refunds`, { amount: 250 });
    assert.equal(refunded.body.status, 'partially_refunded');
    assert.equal(refunded.body.refundedAmount, 250);
    const { rows } = await paymentsDb.pool.query('SELECT owner FROM payments WHERE id = $1', [id]);
    const user = await authDb.pool.query('SELECT id FROM users WHERE email = $1', ['payer@example.com']);
    assert.equal(rows[0].owner, user.rows[0].id, 'the payment belongs to the token subject');
  });

  test('a token from another issuer, or signed by a key the auth service never published, is refused', async () => {
    const body = { amount: 100, currency: 'EUR' };
    const headers = { 'idempotency-key': randomUUID() };
    const otherIssuer = await createJwtSigner({ issuer: 'https://auth.someone-else.example', keys: [await generateSigningKey('EdDSA')] });
    const foreign = await otherIssuer.sign({ subject: 'x', audience: TEST_AUDIENCE, scopes: ['payments:write'] });
    assert.equal((await requestJson(`${payments.url}/`, { body, token: foreign, headers })).status, 401);
    const impostor = await createJwtSigner({ issuer: TEST_ISSUER, keys: [await generateSigningKey('EdDSA')] });
    const forged = await impostor.sign({ subject: 'x', audience: TEST_AUDIENCE, scopes: ['payments:write'] });
    const refused = await requestJson(`${payments.url}/`, { body, token: forged, headers });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  test('a user cannot see the payments of another', async () => {
    const first = await tokenFor('first@example.com');
    const second = await tokenFor('second@example.com');
    const created = await requestJson(`${payments.url}/`, {
      body: { amount: 100, currency: 'CHF' },
      token: first,
      headers: { 'idempotency-key': randomUUID() },
    });
    assert.equal((await requestJson(`${payments.url}/${created.body.id}`, { token: second })).status, 404);
    assert.equal((await requestJson(`${payments.url}/`, { token: second })).body.data.length, 0);
  });
});
