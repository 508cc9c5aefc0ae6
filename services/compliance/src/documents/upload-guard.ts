import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DOCUMENT_SIGNATURES } from './document-types.ts';

export class UploadRefusedError extends Error {
  override name = 'UploadRefusedError';
  readonly statusCode: 413 | 415 | 400;
  constructor(statusCode: 413 | 415 | 400, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

/**
 * Passes an upload through while counting it: refuses it as soon as it passes `maxBytes` (so an
 * oversized body is never held), refuses content that does not start like the declared type, and
 * hashes the plaintext (SHA-256) on the way.
 */
export class UploadGuard extends Transform {
  readonly #maxBytes: number;
  readonly #signature: Buffer;
  readonly #hash = createHash('sha256');
  #head = Buffer.alloc(0);
  #checked = false;
  bytes = 0;

  constructor(contentType: string, maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
    this.#signature = DOCUMENT_SIGNATURES[contentType];
  }

  get sha256(): string {
    return this.#hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(new UploadRefusedError(413, `the document is larger than ${this.#maxBytes} bytes`));
      return;
    }
    if (!this.#checked) {
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#head.length < this.#signature.length) {
        callback();
        return;
      }
      if (!this.#head.subarray(0, this.#signature.length).equals(this.#signature)) {
        callback(new UploadRefusedError(415, 'the content does not match its declared type'));
        return;
      }
      this.#checked = true;
      this.#hash.update(this.#head);
      const head = this.#head;
      this.#head = Buffer.alloc(0);
      callback(null, head);
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes === 0) callback(new UploadRefusedError(400, 'the document is empty'));
    else if (!this.#checked) callback(new UploadRefusedError(415, 'the content does not match its declared type'));
    else callback();
  }
}
