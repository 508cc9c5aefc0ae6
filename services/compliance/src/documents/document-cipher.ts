import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Documents at rest: AES-256-GCM over 64 KiB chunks, so a file is encrypted and decrypted as a
 * stream and every chunk is authenticated before a byte of it is released.
 *
 *   file    = "CVD1" | keyIdLength (1 byte) | keyId | noncePrefix (8 bytes) | record*
 *   record  = flag (1 byte: 0 more, 1 last) | length (u32 BE) | ciphertext | tag (16 bytes)
 *
 * The nonce of record i is noncePrefix | u32(i) (random per file, never reused with the key); the
 * additional data is documentId | u32(i) | flag, so records cannot be reordered, moved to another
 * document or cut off: a stream that ends without its last-flagged record is refused.
 */

export const DOCUMENT_MAGIC = Buffer.from('CVD1');
export const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const RECORD_HEADER_BYTES = 5;

function nonceFor(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function aadFor(documentId: string, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = last ? 1 : 0;
  return Buffer.concat([Buffer.from(documentId), tail]);
}

export class DocumentIntegrityError extends Error {
  override name = 'DocumentIntegrityError';
}

/** Plaintext in, the encrypted file format out. */
export function createEncryptStream(key: Buffer, keyId: string, documentId: string): Transform {
  const prefix = randomBytes(8);
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  const seal = (plain: Buffer, last: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key, nonceFor(prefix, index));
    cipher.setAAD(aadFor(documentId, index, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const header = Buffer.alloc(RECORD_HEADER_BYTES);
    header[0] = last ? 1 : 0;
    header.writeUInt32BE(body.length, 1);
    index++;
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  };
  const keyIdBytes = Buffer.from(keyId);
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!headerSent) {
        this.push(Buffer.concat([DOCUMENT_MAGIC, Buffer.from([keyIdBytes.length]), keyIdBytes, prefix]));
        headerSent = true;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length > CHUNK_BYTES) {
        this.push(seal(pending.subarray(0, CHUNK_BYTES), false));
        pending = pending.subarray(CHUNK_BYTES);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!headerSent) this.push(Buffer.concat([DOCUMENT_MAGIC, Buffer.from([keyIdBytes.length]), keyIdBytes, prefix]));
      this.push(seal(pending, true));
      callback();
    },
  });
}

/** The encrypted file format in, plaintext out; `keys` maps key ids to keys (rotation). */
export function createDecryptStream(keys: ReadonlyMap<string, Buffer>, documentId: string): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let prefix: Buffer | null = null;
  let key: Buffer | null = null;
  let index = 0;
  let finished = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!prefix) {
          if (buffered.length < 5) return callback();
          if (!buffered.subarray(0, 4).equals(DOCUMENT_MAGIC)) throw new DocumentIntegrityError('not an encrypted document');
          const keyIdLength = buffered[4];
          if (buffered.length < 5 + keyIdLength + 8) return callback();
          const keyId = buffered.subarray(5, 5 + keyIdLength).toString();
          key = keys.get(keyId) ?? null;
          if (!key) throw new DocumentIntegrityError(`the document was encrypted with key ${keyId}, which is not configured`);
          prefix = Buffer.from(buffered.subarray(5 + keyIdLength, 5 + keyIdLength + 8));
          buffered = buffered.subarray(5 + keyIdLength + 8);
        }
        while (buffered.length >= RECORD_HEADER_BYTES) {
          if (finished) throw new DocumentIntegrityError('data after the last record');
          const last = buffered[0] === 1;
          const length = buffered.readUInt32BE(1);
          if (length > CHUNK_BYTES) throw new DocumentIntegrityError('record longer than a chunk');
          const total = RECORD_HEADER_BYTES + length + TAG_BYTES;
          if (buffered.length < total) break;
          const decipher = createDecipheriv('aes-256-gcm', key!, nonceFor(prefix, index));
          decipher.setAAD(aadFor(documentId, index, last));
          decipher.setAuthTag(buffered.subarray(total - TAG_BYTES, total));
          const plain = Buffer.concat([decipher.update(buffered.subarray(RECORD_HEADER_BYTES, total - TAG_BYTES)), decipher.final()]);
          this.push(plain);
          buffered = buffered.subarray(total);
          index++;
          finished = last;
        }
        callback();
      } catch (error) {
        callback(
          error instanceof DocumentIntegrityError ? error : new DocumentIntegrityError(`document record ${index} failed authentication`),
        );
      }
    },
    flush(callback: TransformCallback) {
      if (!finished || buffered.length > 0) return callback(new DocumentIntegrityError('the document is truncated'));
      callback();
    },
  });
}
