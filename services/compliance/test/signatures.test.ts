import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextRetryDelayMs, RETRY_DELAYS_MS } from '../src/webhooks/retry-schedule.ts';
import { signStandardWebhook, verifyStandardWebhook } from '../src/webhooks/standard-webhooks.ts';
import { stripeSignature, stripeSignatureHeader, verifyStripeSignature } from '../src/webhooks/stripe-signature.ts';

describe('Standard Webhooks', () => {
  // The test vector published with the Standard Webhooks reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const payload = '{"test": 2432232314}';

  test('signs the published vector', () => {
    assert.equal(signStandardWebhook(secret, id, timestamp, payload), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('verifies it, with rotation lists, and refuses tampering, other secrets and stale timestamps', () => {
    const signature = signStandardWebhook(secret, id, timestamp, payload);
    const headers = { id, timestamp: String(timestamp), signature };
    assert.deepEqual(verifyStandardWebhook(secret, headers, payload, timestamp + 10), { ok: true });
    assert.deepEqual(verifyStandardWebhook(secret, { ...headers, signature: `v1,AAAA ${signature}` }, payload, timestamp), { ok: true });
    assert.deepEqual(verifyStandardWebhook(secret, headers, '{"test": 2432232315}', timestamp), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyStandardWebhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', headers, payload, timestamp), {
      ok: false,
      reason: 'bad_signature',
    });
    assert.deepEqual(verifyStandardWebhook(secret, headers, payload, timestamp + 301), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyStandardWebhook(secret, { ...headers, signature: '' }, payload, timestamp), {
      ok: false,
      reason: 'missing_headers',
    });
  });
});

describe("Stripe's signature scheme", () => {
  // Computed independently: printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac 'whsec_test_secret_for_vectors'
  const secret = 'whsec_test_secret_for_vectors';
  const body = '{"id":"evt_test_webhook","object":"event"}';
  const t = 1_700_000_000;
  const expected = 'd0059df0748524c55c25a325eb21cf7ae7885498776f5c63830d404d49721328';

  test('HMAC-SHA256 hex of "{t}.{body}" with the secret as is', () => {
    assert.equal(stripeSignature(secret, t, body), expected);
    assert.equal(stripeSignatureHeader(secret, t, body), `t=${t},v1=${expected}`);
  });

  test('any v1 may match (secret rolling); v0 is ignored; 300 s tolerance; malformed headers', () => {
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v1=${expected}`, body, t + 300), { ok: true, timestampSec: t });
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v1=${'0'.repeat(64)},v1=${expected},v0=abc`, body, t), {
      ok: true,
      timestampSec: t,
    });
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v1=${expected}`, body, t + 301), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v1=${expected}`, body, t - 301), { ok: false, reason: 'stale' });
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v1=${expected}`, `${body} `, t), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifyStripeSignature(secret, `t=${t},v0=${expected}`, body, t), { ok: false, reason: 'malformed' });
    assert.deepEqual(verifyStripeSignature(secret, undefined, body, t), { ok: false, reason: 'missing_header' });
  });
});

describe('the delivery retry schedule', () => {
  test('jittered ±20 % around 5 s, 5 min, 30 min, 2 h ... 24 h, then spent; Retry-After can only lengthen it', () => {
    assert.equal(
      nextRetryDelayMs(1, () => 0),
      4_000,
    );
    assert.equal(
      nextRetryDelayMs(1, () => 1),
      6_000,
    );
    assert.equal(
      nextRetryDelayMs(2, () => 0.5),
      300_000,
    );
    assert.equal(
      nextRetryDelayMs(RETRY_DELAYS_MS.length, () => 0.5),
      86_400_000,
    );
    assert.equal(nextRetryDelayMs(RETRY_DELAYS_MS.length + 1), null);
    assert.equal(
      nextRetryDelayMs(1, () => 0.5, 60),
      60_000,
    );
    assert.equal(
      nextRetryDelayMs(2, () => 0.5, 60),
      300_000,
    );
  });
});
