import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createJwtSigner, generateSigningKey } from '@cutover/service-kit';
import { AUTH_DIR } from '../../test/support/paths.ts';
import { loadSigningKeys, parseSigningKeys } from '../src/signing-keys.ts';

describe('signing keys file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('parses a key set and signs with its first key', async () => {
    const key = await generateSigningKey('EdDSA');
    const keys = parseSigningKeys(JSON.stringify({ keys: [key] }), 'keys.json');
    const signer = await createJwtSigner({ issuer: 'https://issuer.test', keys });
    assert.equal(signer.activeKeyId, key.kid);
  });

  test('refuses public keys, unknown algorithms and bad JSON without printing key material', async () => {
    const key = await generateSigningKey('EdDSA');
    const { d, ...publicOnly } = key;
    assert.throws(
      () => parseSigningKeys(JSON.stringify({ keys: [publicOnly] }), 'pub.json'),
      /pub\.json is not a signing key set \(keys\.0\.d/,
    );
    assert.throws(
      () => parseSigningKeys(JSON.stringify({ keys: [{ ...key, alg: 'HS256' }] }), 'hs.json'),
      (error: Error) => {
        assert.ok(!error.message.includes(String(d)));
        return /keys\.0\.alg/.test(error.message);
      },
    );
    assert.throws(() => parseSigningKeys('{not json', 'broken.json'), /broken\.json is not valid JSON/);
    assert.throws(() => parseSigningKeys(JSON.stringify({ keys: [] }), 'empty.json'), /empty\.json/);
  });

  test('generate-signing-key.ts: create, rotate (publish a new key), promote (sign with it), never more than two keys', async () => {
    const file = join(dir, 'jwt.json');
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [`${AUTH_DIR}src/generate-signing-key.ts`, file, ...args], { encoding: 'utf8', stdio: 'pipe' });
    assert.throws(() => run('--rotate'), /does not exist/);
    run();
    const [k1] = await loadSigningKeys(file);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'only the owner reads the private keys');
    assert.throws(() => run(), /exists/);
    assert.throws(() => run('--promote'), /no second key/);
    run('--rotate');
    const rotated = await loadSigningKeys(file);
    assert.equal(rotated[0].kid, k1.kid, 'the current key still signs');
    const k2 = rotated[1];
    assert.notEqual(k2.kid, k1.kid);
    run('--promote');
    assert.deepEqual(
      (await loadSigningKeys(file)).map((k) => k.kid),
      [k2.kid, k1.kid],
    );
    run('--rotate');
    const third = await loadSigningKeys(file);
    assert.equal(third.length, 2);
    assert.equal(third[0].kid, k2.kid);
    assert.ok(![k1.kid, k2.kid].includes(third[1].kid), 'the retired key is gone');
  });
});
