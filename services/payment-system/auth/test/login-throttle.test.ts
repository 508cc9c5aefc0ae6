import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisPrefix, TEST_REDIS_URL } from '../../test/support/redis-prefix.ts';
import { sleep } from '../../test/support/wait-for.ts';
import { createLoginThrottle, throttleKeys } from '../src/login-throttle.ts';

describe('login throttle (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = redisPrefix('throttle');
  after(async () => {
    await keys.cleanup();
    redis.disconnect();
  });

  const throttle = (prefix: string, lockoutMs = 60_000) =>
    createLoginThrottle({
      redis,
      keyPrefix: prefix,
      account: { maxAttempts: 3, windowMs: 60_000, lockoutMs },
      ip: { maxAttempts: 5, windowMs: 60_000, lockoutMs },
    });

  test('an account gets maxAttempts tries, then a lockout with the time left', async () => {
    const t = throttle(`${keys.prefix}a:`);
    for (let i = 0; i < 3; i++) assert.deepEqual(await t.attempt('alice@example.com', '10.0.0.1'), { allowed: true });
    const refused = await t.attempt('alice@example.com', '10.0.0.2');
    assert.equal(refused.allowed, false);
    assert.equal(refused.allowed === false && refused.scope, 'account');
    assert.ok(refused.allowed === false && refused.retryAfterMs > 59_000 && refused.retryAfterMs <= 60_000);
    const still = await t.attempt('alice@example.com', '10.0.0.3');
    assert.equal(still.allowed, false, 'locked from any IP');
    assert.deepEqual(await t.attempt('bob@example.com', '10.0.0.3'), { allowed: true }, 'other accounts are not affected');
  });

  test('one IP trying many accounts is locked out on its own', async () => {
    const t = throttle(`${keys.prefix}b:`);
    for (let i = 0; i < 5; i++) assert.deepEqual(await t.attempt(`user${i}@example.com`, '10.0.0.9'), { allowed: true });
    const refused = await t.attempt('user9@example.com', '10.0.0.9');
    assert.equal(refused.allowed === false && refused.scope, 'ip');
    assert.deepEqual(await t.attempt('user9@example.com', '10.0.0.10'), { allowed: true });
  });

  test('a success forgets the account failures and returns the IP its attempt', async () => {
    const prefix = `${keys.prefix}c:`;
    const t = throttle(prefix);
    await t.attempt('carol@example.com', '10.0.1.1');
    await t.attempt('carol@example.com', '10.0.1.1');
    await t.succeeded('carol@example.com', '10.0.1.1');
    const k = throttleKeys(prefix, 'carol@example.com', '10.0.1.1');
    assert.equal(await redis.get(k.accountCount), null);
    assert.equal(await redis.get(k.ipCount), '1');
    for (let i = 0; i < 3; i++) assert.deepEqual(await t.attempt('carol@example.com', '10.0.1.1'), { allowed: true });
  });

  test('a refused attempt during a lockout is not counted, and the lockout ends', async () => {
    const prefix = `${keys.prefix}d:`;
    const t = throttle(prefix, 400);
    for (let i = 0; i < 4; i++) await t.attempt('dave@example.com', '10.0.2.1');
    assert.equal((await t.attempt('dave@example.com', '10.0.2.1')).allowed, false);
    const k = throttleKeys(prefix, 'dave@example.com', '10.0.2.1');
    assert.equal(await redis.get(k.ipCount), '4', 'the refused attempts did not count against the IP');
    await sleep(500);
    assert.deepEqual(await t.attempt('dave@example.com', '10.0.2.1'), { allowed: true });
  });

  test('concurrent guesses never exceed the limit (the count happens before the check)', async () => {
    const t = throttle(`${keys.prefix}e:`);
    const results = await Promise.all(Array.from({ length: 20 }, () => t.attempt('eve@example.com', '10.0.3.1')));
    assert.equal(results.filter((r) => r.allowed).length, 3);
  });

  test('keys hold a digest of the email, never the address, under the given prefix', () => {
    const k = throttleKeys('p:', 'frank@example.com', '10.0.0.1');
    assert.ok(k.accountCount.startsWith('p:account:'));
    assert.ok(!k.accountCount.includes('frank'));
    assert.equal(k.ipLock, 'p:ip:10.0.0.1:lock');
  });
});
