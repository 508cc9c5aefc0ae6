import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt parameters of the OWASP Password Storage Cheat Sheet: N = 2^17 (cost), r = 8 (block size),
 * p = 1. One hash needs 128·N·r = 128 MiB of memory, above Node's default `maxmem` of 32 MiB.
 */
export const DEFAULT_SCRYPT_LOG2_N = 17;
export const DEFAULT_SCRYPT_BLOCK_SIZE = 8;
export const DEFAULT_SCRYPT_PARALLELISM = 1;
export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

export interface ScryptParams {
  /** log2 of the cost N; default `DEFAULT_SCRYPT_LOG2_N` (17). */
  log2N: number;
  /** Block size r; default 8. */
  blockSize: number;
  /** Parallelism p; default 1. */
  parallelism: number;
}

export interface PasswordVerdict {
  ok: boolean;
  /** The stored hash used weaker parameters than the current ones: store a new hash. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  readonly params: ScryptParams;
  /** A PHC-style string: `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (base64 without padding). */
  hash(password: string): Promise<string>;
  /** Constant-time comparison; a malformed stored string is a failed verification, not an exception. */
  verify(password: string, encoded: string): Promise<PasswordVerdict>;
  /**
   * A hash of a random password with the current parameters. Verifying against it costs what a
   * real verification costs, so an unknown account answers as slowly as a wrong password.
   */
  dummyHash(): Promise<string>;
}

const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Memory limit for one derivation: twice what scrypt needs, so Node never refuses our own parameters. */
export function scryptMaxmemBytes(params: ScryptParams): number {
  return 2 * 128 * 2 ** params.log2N * params.blockSize * params.parallelism;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.log2N,
    r: params.blockSize,
    p: params.parallelism,
    maxmem: scryptMaxmemBytes(params),
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export function encodeHash(params: ScryptParams, salt: Buffer, key: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${params.log2N},r=${params.blockSize},p=${params.parallelism}$${b64(salt)}$${b64(key)}`;
}

export function decodeHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const match = ENCODED.exec(encoded);
  if (!match) return null;
  const params = { log2N: Number(match[1]), blockSize: Number(match[2]), parallelism: Number(match[3]) };
  if (params.log2N < 1 || params.log2N > 24 || params.blockSize < 1 || params.parallelism < 1) return null;
  return { params, salt: Buffer.from(match[4], 'base64'), key: Buffer.from(match[5], 'base64') };
}

function weaker(stored: ScryptParams, current: ScryptParams): boolean {
  return stored.log2N < current.log2N || stored.blockSize < current.blockSize || stored.parallelism < current.parallelism;
}

export function createPasswordHasher(overrides: Partial<ScryptParams> = {}): PasswordHasher {
  const params: ScryptParams = {
    log2N: overrides.log2N ?? DEFAULT_SCRYPT_LOG2_N,
    blockSize: overrides.blockSize ?? DEFAULT_SCRYPT_BLOCK_SIZE,
    parallelism: overrides.parallelism ?? DEFAULT_SCRYPT_PARALLELISM,
  };
  const hash = async (password: string) => {
    const salt = randomBytes(SALT_BYTES);
    return encodeHash(params, salt, await derive(password, salt, params, KEY_BYTES));
  };
  return {
    params,
    hash,
    async verify(password, encoded) {
      const decoded = decodeHash(encoded);
      if (!decoded || decoded.key.length === 0) return { ok: false, needsRehash: false };
      const key = await derive(password, decoded.salt, decoded.params, decoded.key.length);
      const ok = timingSafeEqual(key, decoded.key);
      return { ok, needsRehash: ok && weaker(decoded.params, params) };
    },
    dummyHash: () => hash(randomBytes(24).toString('base64')),
  };
}
