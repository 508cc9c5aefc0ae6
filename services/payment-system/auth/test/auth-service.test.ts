import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requestJson } from '@cutover/service-kit/testing';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { type RunningService, startAuth } from '../../test/support/in-process.ts';
import { redisPrefix } from '../../test/support/redis-prefix.ts';
import { authEnv, signingKeysFile, TEST_AUDIENCE, TEST_ISSUER } from '../../test/support/service-env.ts';
import { createTestDatabase, migrate, type TestDatabase } from '../../test/support/test-database.ts';
import { INVALID_CREDENTIALS } from '../src/auth-routes.ts';

const PASSWORD = 'Tr0ub4dor&3-horse-battery';

describe('auth service (PostgreSQL, Redis, in process)', () => {
  let db: TestDatabase;
  let auth: RunningService;
  let dir: string;
  const redis = redisPrefix('auth');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ps-auth-'));
    db = await createTestDatabase('auth');
    await migrate('auth', db.url);
    const keysFile = join(dir, 'keys.json');
    const keys = await signingKeysFile(keysFile);
    auth = await startAuth(
      authEnv({
        databaseUrl: db.url,
        keysFile,
        throttlePrefix: redis.prefix,
        extra: { LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '6', LOG_LEVEL: 'info' },
      }),
      keys,
    );
  });

  after(async () => {
    await auth?.stop();
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const register = (email: string, password = PASSWORD) => requestJson(`${auth.url}/register`, { body: { email, password } });
  const login = (email: string, password = PASSWORD, ip?: string) =>
    requestJson(`${auth.url}/login`, { body: { email, password }, headers: ip ? { 'x-forwarded-for': ip } : {} });

  test('register creates an account once; the email is normalised', async () => {
    const created = await register('  Alice@Example.COM ');
    assert.equal(created.status, 201);
    assert.equal(created.body.email, 'alice@example.com');
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    const again = await register('alice@example.com');
    assert.equal(again.status, 409);
    assert.match(again.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const { rows } = await db.pool.query('SELECT password_hash FROM users WHERE email = $1', ['alice@example.com']);
    assert.match(rows[0].password_hash, /^\$scrypt\$ln=17,r=8,p=1\$/);
    assert.ok(!rows[0].password_hash.includes(PASSWORD));
  });

  test('register refuses bad input with the fields named and no value echoed', async () => {
    const short = await register('bob@example.com', 'short-pw');
    assert.equal(short.status, 400);
    assert.deepEqual(
      short.body.errors.map((e: { field: string }) => e.field),
      ['password'],
    );
    assert.ok(!JSON.stringify(short.body).includes('short-pw'));
    const badEmail = await register('not-an-email');
    assert.equal(badEmail.status, 400);
    const extra = await requestJson(`${auth.url}/register`, { body: { email: 'x@example.com', password: PASSWORD, admin: true } });
    assert.equal(extra.status, 400);
  });

  test('login issues an EdDSA access token with kid, verifiable with the served JWKS', async () => {
    await register('carol@example.com');
    const ok = await login('carol@example.com');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.body.expires_in, 900);
    assert.equal(ok.body.scope, 'payments:read payments:write');
    const header = decodeProtectedHeader(ok.body.access_token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    const jwks = await requestJson(`${auth.url}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.deepEqual(
      jwks.body.keys.map((k: { kid: string }) => k.kid),
      [header.kid],
    );
    assert.equal(jwks.body.keys[0].d, undefined, 'the JWKS publishes no private member');
    const { payload } = await jwtVerify(ok.body.access_token, createRemoteJWKSet(new URL(`${auth.url}/.well-known/jwks.json`)), {
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
    });
    const { rows } = await db.pool.query('SELECT id FROM users WHERE email = $1', ['carol@example.com']);
    assert.equal(payload.sub, rows[0].id);
  });

  test('a wrong password and an unknown account get the same status, body and cost', async () => {
    await register('dave@example.com');
    const wrong = await login('dave@example.com', 'not-the-password', '10.1.0.1');
    const unknown = await login('nobody@example.com', 'not-the-password', '10.1.0.2');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.body.detail, INVALID_CREDENTIALS);
    assert.equal(wrong.headers.get('content-type'), unknown.headers.get('content-type'));

    // Both run one scrypt verification; without the dummy hash the unknown account answers ~100x faster.
    const timeOf = async (email: string, ip: string) => {
      const startedAt = performance.now();
      await login(email, 'still-not-it', ip);
      return performance.now() - startedAt;
    };
    const wrongTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 2; i++) {
      wrongTimes.push(await timeOf('dave@example.com', `10.1.1.${i}`));
      unknownTimes.push(await timeOf(`ghost${i}@example.com`, `10.1.2.${i}`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    assert.ok(
      median(unknownTimes) > median(wrongTimes) / 3,
      `unknown ${median(unknownTimes).toFixed(0)} ms vs wrong ${median(wrongTimes).toFixed(0)} ms`,
    );
  });

  test('per-account throttling: 429 with Retry-After, even with the right password', async () => {
    await register('erin@example.com');
    for (let i = 0; i < 3; i++) assert.equal((await login('erin@example.com', 'wrong-password', `10.2.0.${i}`)).status, 401);
    const throttled = await login('erin@example.com', PASSWORD, '10.2.0.9');
    assert.equal(throttled.status, 429);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.equal(throttled.body.status, 429);
    const unknown = await login('nobody-else@example.com', 'x', '10.2.0.10');
    assert.equal(unknown.status, 401, 'other accounts still answer');
  });

  test('per-IP throttling: one client cycling through accounts is locked out', async () => {
    const ip = '10.3.0.1';
    let status = 0;
    let attempts = 0;
    while (attempts < 7) {
      attempts++;
      status = (await login(`spray${attempts}@example.com`, 'guess', ip)).status;
      if (status === 429) break;
    }
    assert.equal(status, 429);
    assert.equal(attempts, 7, 'the 7th attempt from one IP is the first refused');
    assert.equal((await login('spray99@example.com', 'guess', '10.3.0.2')).status, 401, 'another IP is not affected');
  });

  test('readiness checks PostgreSQL and Redis; /metrics counts logins', async () => {
    const ready = await requestJson(`${auth.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'pass');
    assert.ok(ready.body.checks['postgres:responseTime']);
    assert.ok(ready.body.checks['redis:responseTime']);
    const metrics = await (await fetch(`${auth.url}/metrics`)).text();
    assert.match(metrics, /auth_logins_total\{[^}]*outcome="success"[^}]*\} [1-9]/);
    assert.match(metrics, /auth_logins_total\{[^}]*outcome="throttled"[^}]*\} [1-9]/);
  });

  test('logs never contain a password or a token', async () => {
    await register('frank@example.com', 'frank-secret-passphrase-1');
    const ok = await login('frank@example.com', 'frank-secret-passphrase-1');
    await login('frank@example.com', 'frank-wrong-passphrase-2');
    const logs = auth.logs.text();
    assert.ok(auth.logs.lines.length > 5, 'request logs were captured');
    assert.ok(!logs.includes('frank-secret-passphrase-1'));
    assert.ok(!logs.includes('frank-wrong-passphrase-2'));
    assert.ok(!logs.includes(ok.body.access_token));
    assert.ok(!logs.includes(ok.body.access_token.split('.')[2]), 'not even the signature');
  });
});
