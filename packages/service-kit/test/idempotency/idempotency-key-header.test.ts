import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, parseIdempotencyKey, requestFingerprint } from '../../src/index.ts';

describe('parseIdempotencyKey', () => {
  test('sf-string and bare forms', () => {
    assert.deepEqual(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"'), {
      ok: true,
      key: '8e03978e-40d5-43e8-bc93-6894a57f9324',
    });
    assert.deepEqual(parseIdempotencyKey('8e03978e'), { ok: true, key: '8e03978e' });
    assert.deepEqual(parseIdempotencyKey('"a\\"b\\\\c"'), { ok: true, key: 'a"b\\c' });
    assert.deepEqual(parseIdempotencyKey('"k1";param=1'), { ok: true, key: 'k1' });
    assert.deepEqual(parseIdempotencyKey(['"k1"']), { ok: true, key: 'k1' });
  });

  test('missing, multiple and invalid keys', () => {
    const reason = (header: string | string[] | undefined) => {
      const parsed = parseIdempotencyKey(header);
      return parsed.ok ? 'ok' : parsed.reason;
    };
    assert.equal(reason(undefined), 'missing');
    assert.equal(reason('"a", "b"'), 'multiple');
    assert.equal(reason('a, b'), 'multiple');
    assert.equal(reason(['a', 'b']), 'multiple');
    assert.equal(reason('""'), 'invalid');
    assert.equal(reason('"unterminated'), 'invalid');
    assert.equal(reason('"x" junk'), 'invalid');
    assert.equal(reason('"\\n"'), 'invalid');
    assert.equal(reason('k'.repeat(256)), 'invalid');
    assert.equal(reason('k'.repeat(255)), 'ok');
    assert.equal(reason('clé'), 'invalid');
  });
});

describe('requestFingerprint', () => {
  test('key order does not matter; method, path and values do', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    const base = requestFingerprint({ method: 'post', path: '/p', body: { a: 1, b: 2 } });
    assert.equal(requestFingerprint({ method: 'POST', path: '/p', body: { b: 2, a: 1 } }), base);
    assert.notEqual(requestFingerprint({ method: 'PUT', path: '/p', body: { a: 1, b: 2 } }), base);
    assert.notEqual(requestFingerprint({ method: 'POST', path: '/q', body: { a: 1, b: 2 } }), base);
    assert.notEqual(requestFingerprint({ method: 'POST', path: '/p', body: { a: 1, b: 3 } }), base);
    assert.match(base, /^[0-9a-f]{64}$/);
  });
});
