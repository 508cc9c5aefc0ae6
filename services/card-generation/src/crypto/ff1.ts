// FF1 format-preserving encryption, NIST SP 800-38G (Algorithms 7 and 8), over node:crypto AES.
// This is the general form (any radix 2..36 over 0-9a-z, any tweak, BigInt arithmetic), checked
// against NIST's published samples. `Ff1Decimal` (ff1-decimal.ts) is the fast batch form used to mint
// PANs; the tests hold the two to the same outputs.
import { type Cipheriv, createCipheriv } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const ROUNDS = 10;

/** AES with a 128, 192 or 256-bit key, one 16-byte block at a time (ECB of a single block is CIPH). */
export function createBlockCipher(key: Buffer): Cipheriv {
  if (![16, 24, 32].includes(key.length)) throw new Error(`FF1 key must be 16, 24 or 32 bytes (got ${key.length})`);
  const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  cipher.setAutoPadding(false);
  return cipher;
}

/** CBC-MAC with a zero IV (SP 800-38G's PRF) over `data`, a multiple of 16 bytes. */
export function prf(cipher: Cipheriv, data: Buffer): Buffer {
  let y = Buffer.alloc(16);
  for (let offset = 0; offset < data.length; offset += 16) {
    const block = Buffer.allocUnsafe(16);
    for (let j = 0; j < 16; j++) block[j] = y[j] ^ data[offset + j];
    y = cipher.update(block);
  }
  return y;
}

function bigFromBytes(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function bytesFromBig(value: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function num(digits: readonly number[], radix: bigint): bigint {
  let x = 0n;
  for (const d of digits) x = x * radix + BigInt(d);
  return x;
}

function str(value: bigint, radix: bigint, length: number): number[] {
  const out = new Array<number>(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v % radix);
    v /= radix;
  }
  return out;
}

/** Bytes needed for NUM_radix of v numerals: ceil(ceil(v·log2(radix)) / 8), computed exactly. */
export function numeralBytes(radix: number, v: number): number {
  const bits = (BigInt(radix) ** BigInt(v) - 1n).toString(2).length;
  return Math.ceil(bits / 8);
}

export class Ff1 {
  readonly radix: number;
  private readonly cipher: Cipheriv;

  constructor(key: Buffer, radix = 10) {
    if (!Number.isInteger(radix) || radix < 2 || radix > 36) throw new Error(`FF1 radix must be 2..36 (got ${radix})`);
    this.radix = radix;
    this.cipher = createBlockCipher(key);
  }

  encrypt(text: string, tweak: Buffer = Buffer.alloc(0)): string {
    return this.run(text, tweak, true);
  }

  decrypt(text: string, tweak: Buffer = Buffer.alloc(0)): string {
    return this.run(text, tweak, false);
  }

  private run(text: string, tweak: Buffer, encrypt: boolean): string {
    const radix = BigInt(this.radix);
    const x = [...text.toLowerCase()].map((c) => {
      const d = ALPHABET.indexOf(c);
      if (d < 0 || d >= this.radix) throw new Error(`"${c}" is not a radix-${this.radix} numeral`);
      return d;
    });
    const n = x.length;
    // SP 800-38G: radix^minlen >= 100 (Rev. 1 draft: >= 1,000,000, which PAN account fields meet).
    if (n < 2 || radix ** BigInt(n) < 100n) throw new Error(`FF1 domain radix^n must be at least 100 (n = ${n})`);
    const t = tweak.length;
    const u = Math.floor(n / 2);
    const v = n - u;
    let a = x.slice(0, u);
    let b = x.slice(u);
    const bBytes = numeralBytes(this.radix, v);
    const d = 4 * Math.ceil(bBytes / 4) + 4;
    const p = Buffer.alloc(16);
    p.set([1, 2, 1]);
    p.writeUIntBE(this.radix, 3, 3);
    p[6] = 10;
    p[7] = u % 256;
    p.writeUInt32BE(n, 8);
    p.writeUInt32BE(t, 12);
    const pad = (((-t - bBytes - 1) % 16) + 16) % 16;
    for (let step = 0; step < ROUNDS; step++) {
      const i = encrypt ? step : ROUNDS - 1 - step;
      const source = encrypt ? b : a;
      const q = Buffer.concat([tweak, Buffer.alloc(pad), Buffer.from([i]), bytesFromBig(num(source, radix), bBytes)]);
      const r = prf(this.cipher, Buffer.concat([p, q]));
      const blocks = [r];
      for (let j = 1; j * 16 < d; j++) {
        const block = Buffer.alloc(16);
        block.writeUInt32BE(j, 12);
        for (let k = 0; k < 16; k++) block[k] ^= r[k];
        blocks.push(this.cipher.update(block));
      }
      const y = bigFromBytes(Buffer.concat(blocks).subarray(0, d));
      const m = i % 2 === 0 ? u : v;
      const modulus = radix ** BigInt(m);
      if (encrypt) {
        const c = (((num(a, radix) + y) % modulus) + modulus) % modulus;
        a = b;
        b = str(c, radix, m);
      } else {
        const c = (((num(b, radix) - y) % modulus) + modulus) % modulus;
        b = a;
        a = str(c, radix, m);
      }
    }
    return [...a, ...b].map((digit) => ALPHABET[digit]).join('');
  }
}
