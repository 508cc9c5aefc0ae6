import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { CHUNK_BYTES, createDecryptStream, createEncryptStream } from '../src/documents/document-cipher.ts';

const key = randomBytes(32);
const keys = new Map([['k1', key]]);
const encrypt = (plain: Buffer, id = 'doc-1') => buffer(Readable.from([plain]).pipe(createEncryptStream(key, 'k1', id)));
const decrypt = (sealed: Buffer, id = 'doc-1', keyMap = keys) => buffer(Readable.from([sealed]).pipe(createDecryptStream(keyMap, id)));

describe('documents at rest: chunked AES-256-GCM', () => {
  test('round trip for empty, one-chunk, chunk-edge and multi-chunk documents; no plaintext in the file', async () => {
    for (const size of [0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]) {
      const plain = Buffer.alloc(size, 'SECRET-');
      const sealed = await encrypt(plain);
      assert.ok(!sealed.includes(Buffer.from('SECRET-SECRET-')) || size === 0, `size ${size}: ciphertext holds plaintext`);
      assert.deepEqual(await decrypt(sealed), plain, `size ${size}`);
    }
  });

  test('two encryptions of the same document differ (a fresh nonce prefix per file)', async () => {
    const plain = Buffer.from('the same W-9');
    assert.notDeepEqual(await encrypt(plain), await encrypt(plain));
  });

  test('a flipped bit, a truncation, another document id or an unknown key is refused', async () => {
    const sealed = await encrypt(Buffer.alloc(2 * CHUNK_BYTES + 5, 1));
    const flipped = Buffer.from(sealed);
    flipped[sealed.length - 40] ^= 1;
    await assert.rejects(decrypt(flipped), /failed authentication/);
    await assert.rejects(decrypt(sealed.subarray(0, sealed.length - (5 + 5 + 16))), /truncated|authentication/);
    await assert.rejects(decrypt(sealed, 'doc-2'), /failed authentication/);
    await assert.rejects(decrypt(sealed, 'doc-1', new Map([['k2', key]])), /key k1, which is not configured/);
  });
});
