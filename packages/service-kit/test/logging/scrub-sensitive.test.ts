import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLuhnValid, isSensitiveKey, REDACTED, REDACTED_PAN, redactSensitiveKeys, scrubText } from '../../src/index.ts';

describe('isLuhnValid', () => {
  test('known test cards pass, a changed digit fails', () => {
    for (const pan of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4222222222222']) {
      assert.equal(isLuhnValid(pan), true, pan);
    }
    assert.equal(isLuhnValid('4111111111111112'), false);
    assert.equal(isLuhnValid('41111a1111111111'), false);
  });
});

describe('scrubText', () => {
  test('replaces Luhn-valid 13-19 digit runs, plain or grouped', () => {
    assert.equal(scrubText('card 4111111111111111 declined'), `card ${REDACTED_PAN} declined`);
    assert.equal(scrubText('card 4111 1111 1111 1111.'), `card ${REDACTED_PAN}.`);
    assert.equal(scrubText('card 5555-5555-5555-4444'), `card ${REDACTED_PAN}`);
    assert.equal(scrubText('amex 3782 822463 10005'), `amex ${REDACTED_PAN}`);
    assert.equal(scrubText('19 digits 6221260000000000001'), `19 digits ${REDACTED_PAN}`);
    assert.equal(scrubText('13 digits 4222222222222'), `13 digits ${REDACTED_PAN}`);
  });

  test('leaves numbers that are not card numbers alone', () => {
    assert.equal(scrubText('order 4111111111111112 total 12.50'), 'order 4111111111111112 total 12.50');
    assert.equal(scrubText('id 123456789012'), 'id 123456789012', '12 digits is too short');
    assert.equal(scrubText('41111111111111110000'), '41111111111111110000', '20 digits is too long');
    assert.equal(scrubText('ratio 0.4111111111111111'), 'ratio 0.4111111111111111', 'a fraction is not a PAN');
  });

  test('keeps a JSON line valid when a PAN is a bare number', () => {
    const line = JSON.stringify({ a: 4111111111111111, b: [5555555555554444], c: 'x 4111111111111111 y' });
    const scrubbed = scrubText(line);
    assert.deepEqual(JSON.parse(scrubbed), { a: REDACTED_PAN, b: [REDACTED_PAN], c: `x ${REDACTED_PAN} y` });
  });

  test('removes JWTs, bearer credentials, secret query parameters and private keys', () => {
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz';
    assert.equal(scrubText(`token ${jwt} used`), 'token [REDACTED_JWT] used');
    assert.equal(scrubText('Authorization: Bearer abcdefghijklmnop'), `Authorization: Bearer ${REDACTED}`);
    assert.equal(scrubText('GET /cb?code=abc123&state=ok&access_token=zzz'), `GET /cb?code=${REDACTED}&state=ok&access_token=${REDACTED}`);
    const pem = '-----BEGIN PRIVATE KEY-----\\nMIIBVgIBADANBg\\n-----END PRIVATE KEY-----';
    assert.equal(scrubText(`key ${pem} end`), `key ${REDACTED} end`);
  });
});

describe('redactSensitiveKeys', () => {
  test('censors sensitive keys at any depth without touching the input', () => {
    const input = {
      user: { name: 'ana', password: 'hunter2', credentials: { apiKey: 'k' } },
      headers: { Authorization: 'Bearer x', Cookie: 'sid=1', 'content-type': 'json' },
      card: { cardNumber: '4111111111111111', cvv: '123', pan: '4111', expiry: '12/30' },
      list: [{ refresh_token: 'r' }, { client_secret: 's' }],
    };
    const copy = structuredClone(input);
    assert.deepEqual(redactSensitiveKeys(input), {
      user: { name: 'ana', password: REDACTED, credentials: REDACTED },
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'content-type': 'json' },
      card: { cardNumber: REDACTED, cvv: REDACTED, pan: REDACTED, expiry: '12/30' },
      list: [{ refresh_token: REDACTED }, { client_secret: REDACTED }],
    });
    assert.deepEqual(input, copy);
  });

  test('key matching ignores case and separators, and accepts extra keys', () => {
    assert.equal(isSensitiveKey('X-API-KEY'), true);
    assert.equal(isSensitiveKey('Set-Cookie'), true);
    assert.equal(isSensitiveKey('company'), false, '"pan" matches whole keys only');
    assert.equal(isSensitiveKey('iban'), false);
    assert.equal(isSensitiveKey('iban', ['iban']), true);
  });
});
