import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPasswordHasher, decodeHash, scryptMaxmemBytes } from '../src/password-hasher.ts';

describe('password hasher (scrypt)', () => {
  const hasher = createPasswordHasher();

  test('uses the OWASP parameters N=2^17, r=8, p=1 with a 16-byte salt and a 32-byte key', async () => {
    assert.deepEqual(hasher.params, { log2N: 17, blockSize: 8, parallelism: 1 });
    const encoded = await hasher.hash('correct horse battery staple');
    assert.match(encoded, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const decoded = decodeHash(encoded);
    assert.equal(decoded?.salt.length, 16);
    assert.equal(decoded?.key.length, 32);
  });

  test('needs a maxmem above 128·N·r (Node refuses these parameters with its 32 MiB default)', () => {
    assert.equal(scryptMaxmemBytes(hasher.params), 2 * 128 * 2 ** 17 * 8);
    assert.ok(scryptMaxmemBytes(hasher.params) > 32 * 1024 * 1024);
  });

  test('verifies the right password, refuses a wrong one, salts every hash', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    assert.notEqual(a, b);
    assert.deepEqual(await hasher.verify('correct horse battery staple', a), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify('correct horse battery stapler', a), { ok: false, needsRehash: false });
  });

  test('normalises Unicode, so the same passphrase typed two ways matches', async () => {
    const composed = await hasher.hash('caf\u00e9 au lait');
    assert.equal((await hasher.verify('cafe\u0301 au lait', composed)).ok, true);
  });

  test('a malformed stored hash fails verification instead of throwing', async () => {
    for (const stored of ['', 'plain', '$scrypt$ln=17,r=8,p=1$$', '$bcrypt$10$abc', '$scrypt$ln=99,r=8,p=1$AAAA$AAAA']) {
      assert.deepEqual(await hasher.verify('anything', stored), { ok: false, needsRehash: false }, stored);
    }
  });

  test('a hash made with weaker parameters verifies and asks for a rehash', async () => {
    const weak = createPasswordHasher({ log2N: 14 });
    const old = await weak.hash('an old passphrase');
    assert.deepEqual(await hasher.verify('an old passphrase', old), { ok: true, needsRehash: true });
  });

  test('the dummy hash never verifies and costs a real derivation', async () => {
    const dummy = await hasher.dummyHash();
    assert.match(dummy, /^\$scrypt\$ln=17,/);
    const startedAt = performance.now();
    assert.equal((await hasher.verify('guess', dummy)).ok, false);
    assert.ok(performance.now() - startedAt > 20, 'a verification against the dummy hash runs scrypt');
  });
});
