// FF1 (SP 800-38G) specialised for what PAN account fields need: radix 10, 2 to 12 digits, a tweak
// short enough that Q is one AES block. Under those bounds every quantity fits a float64 exactly
// (halves < 10^6, y reduced through two 32-bit words), and one FF1 round over a whole batch is a
// single AES-ECB call over all its blocks, so minting 10,000 PANs costs ten native AES calls instead
// of 100,000 JavaScript-level ones. The general `Ff1` (ff1.ts) is the reference the tests compare with.
import type { Cipheriv } from 'node:crypto';
import { createBlockCipher, numeralBytes } from './ff1.ts';

/** Longest digit field: 19-digit PANs behind 6-digit BINs leave 12 account digits. */
export const MAX_DECIMAL_DIGITS = 12;
const ROUNDS = 10;
const TWO_POW_32 = 2 ** 32;

/**
 * x mod m for integers 0 <= x < 2^40 (here x < 10^12 + 10^6) and m <= 10^6: the quotient from a
 * multiplication by the reciprocal is off by at most one, q * m and x - q * m are exact in float64,
 * and one correction either way makes it exact. FF1 over a batch costs less than half what it did
 * with the floating-point `%` (which V8 runs as a call to fmod).
 */
function reduce(x: number, m: number, inverse: number): number {
  const r = x - Math.floor(x * inverse) * m;
  return r < 0 ? r + m : r >= m ? r - m : r;
}

export class Ff1Decimal {
  readonly digits: number;
  /** Size of the domain: 10^digits. */
  readonly domainSize: number;
  private readonly cipher: Cipheriv;
  private readonly u: number;
  private readonly v: number;
  private readonly bBytes: number;
  /** CIPH(P): the first CBC-MAC block, the same for every input under this key, tweak and length. */
  private readonly r0: Buffer;
  /** Per round: the 16-byte block CIPH(P) xor (T || 0^pad || [i] || 0^b), before NUM(B) is mixed in. */
  private readonly roundPatterns: Buffer[];

  constructor(key: Buffer, digits: number, tweak: Buffer = Buffer.alloc(0)) {
    if (!Number.isInteger(digits) || digits < 2 || digits > MAX_DECIMAL_DIGITS)
      throw new Error(`Ff1Decimal handles 2..${MAX_DECIMAL_DIGITS} digits (got ${digits})`);
    this.digits = digits;
    this.domainSize = 10 ** digits;
    this.cipher = createBlockCipher(key);
    this.u = Math.floor(digits / 2);
    this.v = digits - this.u;
    this.bBytes = numeralBytes(10, this.v);
    const t = tweak.length;
    if (t + this.bBytes + 1 > 16) throw new Error(`tweak too long for a one-block Q (${t} bytes; at most ${15 - this.bBytes})`);
    const p = Buffer.alloc(16);
    p.set([1, 2, 1, 0, 0, 10, 10, this.u % 256]);
    p.writeUInt32BE(digits, 8);
    p.writeUInt32BE(t, 12);
    this.r0 = Buffer.from(this.cipher.update(p));
    this.roundPatterns = [];
    for (let i = 0; i < ROUNDS; i++) {
      const q = Buffer.alloc(16);
      tweak.copy(q, 0);
      q[15 - this.bBytes] = i;
      for (let j = 0; j < 16; j++) q[j] ^= this.r0[j];
      this.roundPatterns.push(q);
    }
  }

  /** Encrypts each value of `values` (integers in [0, 10^digits)) in place and returns it. */
  encryptInPlace(values: Float64Array): Float64Array {
    const count = values.length;
    if (count === 0) return values;
    const powV = 10 ** this.v;
    // Halves are below 10^6: int32 arithmetic throughout, except y, reduced from two 32-bit words.
    const a = new Int32Array(count);
    const b = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const x = values[k];
      if (!(x >= 0 && x < this.domainSize && Number.isInteger(x))) throw new Error(`value ${x} outside [0, 10^${this.digits})`);
      const high = Math.floor(x / powV);
      a[k] = high;
      b[k] = x - high * powV;
    }
    const blocks = Buffer.allocUnsafe(count * 16);
    const bBytes = this.bBytes;
    for (let i = 0; i < ROUNDS; i++) {
      const pattern = this.roundPatterns[i];
      const p13 = pattern[13];
      const p14 = pattern[14];
      const p15 = pattern[15];
      blocks.fill(pattern);
      // NUM(B) as bBytes big-endian bytes at the end of each block (bBytes <= 3 for v <= 6 digits).
      for (let k = 0, end = 15; k < count; k++, end += 16) {
        const value = b[k];
        blocks[end] = p15 ^ (value & 255);
        if (bBytes > 1) blocks[end - 1] = p14 ^ ((value >>> 8) & 255);
        if (bBytes > 2) blocks[end - 2] = p13 ^ ((value >>> 16) & 255);
      }
      const r = this.cipher.update(blocks);
      const modulus = 10 ** (i % 2 === 0 ? this.u : this.v);
      const highFactor = TWO_POW_32 % modulus;
      const inverse = 1 / modulus;
      for (let k = 0, o = 0; k < count; k++, o += 16) {
        const hi = r[o] * 16777216 + ((r[o + 1] << 16) | (r[o + 2] << 8) | r[o + 3]);
        const lo = r[o + 4] * 16777216 + ((r[o + 5] << 16) | (r[o + 6] << 8) | r[o + 7]);
        const y = reduce(reduce(hi, modulus, inverse) * highFactor + reduce(lo, modulus, inverse), modulus, inverse);
        const sum = a[k] + y;
        const c = sum >= modulus ? sum - modulus : sum;
        a[k] = b[k];
        b[k] = c;
      }
    }
    for (let k = 0; k < count; k++) values[k] = a[k] * powV + b[k];
    return values;
  }

  /**
   * The inverse of encryptInPlace: each value of `values` (integers in [0, 10^digits)) decrypted in place.
   * Its round loop mirrors encryptInPlace's on purpose: sharing it through a helper that returns
   * each round's y cost about 20 % more CPU per value (0.72-0.75 -> 0.89-0.95 µs for an encrypt and
   * a decrypt of 100,000 values, load 1.1, 2026-12-03), and encryption is on the bulk path.
   */
  decryptInPlace(values: Float64Array): Float64Array {
    const count = values.length;
    if (count === 0) return values;
    const powV = 10 ** this.v;
    const a = new Int32Array(count);
    const b = new Int32Array(count);
    for (let k = 0; k < count; k++) {
      const x = values[k];
      if (!(x >= 0 && x < this.domainSize && Number.isInteger(x))) throw new Error(`value ${x} outside [0, 10^${this.digits})`);
      const high = Math.floor(x / powV);
      a[k] = high;
      b[k] = x - high * powV;
    }
    const blocks = Buffer.allocUnsafe(count * 16);
    const bBytes = this.bBytes;
    // SP 800-38G algorithm 8: rounds 9 down to 0, Q carries NUM(A), B = A and A = (NUM(B) - y) mod 10^m.
    for (let i = ROUNDS - 1; i >= 0; i--) {
      const pattern = this.roundPatterns[i];
      const p13 = pattern[13];
      const p14 = pattern[14];
      const p15 = pattern[15];
      blocks.fill(pattern);
      for (let k = 0, end = 15; k < count; k++, end += 16) {
        const value = a[k];
        blocks[end] = p15 ^ (value & 255);
        if (bBytes > 1) blocks[end - 1] = p14 ^ ((value >>> 8) & 255);
        if (bBytes > 2) blocks[end - 2] = p13 ^ ((value >>> 16) & 255);
      }
      const r = this.cipher.update(blocks);
      const modulus = 10 ** (i % 2 === 0 ? this.u : this.v);
      const highFactor = TWO_POW_32 % modulus;
      const inverse = 1 / modulus;
      for (let k = 0, o = 0; k < count; k++, o += 16) {
        const hi = r[o] * 16777216 + ((r[o + 1] << 16) | (r[o + 2] << 8) | r[o + 3]);
        const lo = r[o + 4] * 16777216 + ((r[o + 5] << 16) | (r[o + 6] << 8) | r[o + 7]);
        const y = reduce(reduce(hi, modulus, inverse) * highFactor + reduce(lo, modulus, inverse), modulus, inverse);
        const difference = b[k] - y;
        const c = difference < 0 ? difference + modulus : difference;
        b[k] = a[k];
        a[k] = c;
      }
    }
    for (let k = 0; k < count; k++) values[k] = a[k] * powV + b[k];
    return values;
  }

  /** The permuted values of the counters start, start+1, ..., start+count-1. */
  encryptRange(start: number, count: number): Float64Array {
    const values = new Float64Array(count);
    for (let k = 0; k < count; k++) values[k] = start + k;
    return this.encryptInPlace(values);
  }

  encrypt(value: number): number {
    return this.encryptInPlace(Float64Array.of(value))[0];
  }

  decrypt(value: number): number {
    return this.decryptInPlace(Float64Array.of(value))[0];
  }
}
