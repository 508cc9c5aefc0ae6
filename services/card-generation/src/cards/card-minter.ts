// Counter -> card. For a BIN of the sandbox: account digits = FF1(key, tweak = BIN, counter) over
// [0, 10^accountDigits), PAN = BIN || account digits || Luhn check digit. FF1 is a permutation of
// that domain, so distinct counters of one BIN give distinct PANs, and BINs are prefix-free, so PANs
// of different BINs differ too: uniqueness is a property of the construction, not a lookup.
// The order of issued PANs is unpredictable without the key. Expiry and CVC are random.
import { Ff1Decimal } from '../crypto/ff1-decimal.ts';
import { randomSlice } from '../crypto/random-pool.ts';
import { CardCrypto, SEALED_BLOCK_BYTES } from './card-crypto.ts';
import type { CardKeys } from './card-keys.ts';
import { withLuhnCheckDigit } from './luhn.ts';
import { PAN_KEY_BYTES, panKeyOf, writePanKeys } from './pan-key.ts';
import type { SandboxBin } from './sandbox-bins.ts';
import { uuidText, uuidV7Bytes } from './uuid-v7.ts';

const DIGIT = '0123456789';
/** Counters whose FF1 outputs are computed together when only a few are asked for. */
export const FF1_WINDOW = 256;
/** Random bytes a card needs: expiry and CVC (6), GCM IV (12), UUID (16). */
const RANDOM_BYTES_PER_CARD = 6 + 12 + 16;

/** Expiry years are this many years ahead and up to EXPIRY_SPREAD_YEARS - 1 more. */
export const EXPIRY_MIN_YEARS_AHEAD = 2;
export const EXPIRY_SPREAD_YEARS = 4;

export interface MintedCard {
  id: string;
  /** The id's 16 bytes (a view into the batch's buffer). */
  idBytes: Buffer;
  bin: string;
  counter: number;
  pan: string;
  cvc: string;
  expiryMonth: number;
  expiryYear: number;
  last4: string;
  /** pan_hash: the PAN's index key (pan-key.ts). */
  panKey: Buffer;
  sealed: Buffer;
}

/** Cards minted together, one BIN, column by column: entry k of every column is card k. */
export interface MintedBatch {
  bin: SandboxBin;
  count: number;
  counters: ArrayLike<number>;
  /** The PANs' digits (0-9), bin.panLength a card. */
  digits: Uint8Array;
  /** 16 bytes a card: the UUIDv7 id. */
  idBytes: Buffer;
  /** PAN_KEY_BYTES a card: pan_hash, the PANs' index keys (pan-key.ts). */
  panKeys: Buffer;
  /** 44 bytes a card: pan_ciphertext. */
  sealed: Buffer;
  /** 4 slots a card: the CVC's digits (bin.cvcLength of them), then 15. */
  cvcs: Uint8Array;
  expiryMonths: Uint8Array;
  expiryYears: Uint16Array;
}

/** FF1's tweak for a BIN: its PAN length, then the BIN as a 64-bit number (9 bytes, within FF1's one-block Q). */
export function binTweak(bin: SandboxBin): Buffer {
  const tweak = Buffer.alloc(9);
  tweak[0] = bin.panLength;
  tweak.writeBigUInt64BE(BigInt(bin.bin), 1);
  return tweak;
}

export class CardMinter {
  private readonly permutations = new Map<string, Ff1Decimal>();
  /**
   * Per BIN, the last window of FF1 outputs computed for the synchronous path, and the inverse of
   * FF1 on those outputs (account number -> deciphered value), computed in the same batch for the
   * index keys of the window's PANs.
   */
  private readonly windows = new Map<string, { start: number; accounts: Float64Array; inverse: Map<number, number> }>();
  private readonly keys: CardKeys;
  private readonly now: () => Date;
  readonly crypto: CardCrypto;

  constructor(keys: CardKeys, now: () => Date = () => new Date()) {
    this.keys = keys;
    this.now = now;
    this.crypto = new CardCrypto(keys);
  }

  private permutation(bin: SandboxBin): Ff1Decimal {
    let ff1 = this.permutations.get(bin.bin);
    if (!ff1) {
      ff1 = new Ff1Decimal(this.keys.ff1, bin.accountDigits, binTweak(bin));
      this.permutations.set(bin.bin, ff1);
    }
    return ff1;
  }

  /** The account numbers (the digits between BIN and check digit, as numbers) of the given counters. */
  accounts(bin: SandboxBin, counters: ArrayLike<number>): Float64Array {
    const count = counters.length;
    const accounts = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const c = counters[k];
      if (!(c >= 0 && c < bin.capacity && Number.isInteger(c)))
        throw new Error(`counter ${c} outside BIN ${bin.bin}'s capacity ${bin.capacity}`);
      accounts[k] = c;
    }
    if (count > FF1_WINDOW / 16) return this.permutation(bin).encryptInPlace(accounts);
    // A few counters (a synchronous request): from the window of FF1_WINDOW counters around them,
    // computed in one batch when first needed. An instance hands out its block's counters in order,
    // so the next requests find theirs in the same window.
    for (let k = 0; k < count; k++) {
      const c = accounts[k];
      const start = c - (c % FF1_WINDOW);
      let window = this.windows.get(bin.bin);
      if (!window || window.start !== start) {
        const ff1 = this.permutation(bin);
        const windowAccounts = ff1.encryptRange(start, Math.min(FF1_WINDOW, bin.capacity - start));
        const deciphered = ff1.decryptInPlace(Float64Array.from(windowAccounts));
        const inverse = new Map<number, number>();
        for (let i = 0; i < windowAccounts.length; i++) inverse.set(windowAccounts[i], deciphered[i]);
        window = { start, accounts: windowAccounts, inverse };
        this.windows.set(bin.bin, window);
      }
      accounts[k] = window.accounts[c - start];
    }
    return accounts;
  }

  /**
   * FF1's inverse for a few account numbers (a synchronous request's PANs): from the inverse of the
   * BIN's current window where it holds the number, by FF1 itself otherwise. Either way the value is
   * the deciphering of the account number read from the PAN, never the row's counter.
   */
  private windowDecipher(bin: SandboxBin): Pick<Ff1Decimal, 'decryptInPlace'> {
    const ff1 = this.permutation(bin);
    const inverse = this.windows.get(bin.bin)?.inverse;
    return {
      decryptInPlace(values: Float64Array): Float64Array {
        for (let k = 0; k < values.length; k++) {
          const known = inverse?.get(values[k]);
          values[k] = known ?? ff1.decrypt(values[k]);
        }
        return values;
      },
    };
  }

  /** The PANs of the given counters (no randomness: the same counters always give the same PANs). */
  pans(bin: SandboxBin, counters: ArrayLike<number>): string[] {
    const count = counters.length;
    const accounts = this.accounts(bin, counters);
    const out = new Array<string>(count);
    for (let k = 0; k < count; k++) out[k] = withLuhnCheckDigit(bin.bin + String(accounts[k]).padStart(bin.accountDigits, '0'));
    return out;
  }

  /** Counters start .. start+count-1. */
  static range(start: number, count: number): Float64Array {
    const counters = new Float64Array(count);
    for (let k = 0; k < count; k++) counters[k] = start + k;
    return counters;
  }

  /**
   * A batch of cards, column by column (no object or string per card: what a bulk chunk writes):
   * the PAN digits are computed from the account numbers, packed to BCD and sealed, and the index
   * keys computed back from the digits, for the whole batch at once. Same construction as `pans`, which the tests hold it to.
   */
  mintBatch(bin: SandboxBin, counters: ArrayLike<number>): MintedBatch {
    const count = counters.length;
    const accounts = this.accounts(bin, counters);
    const length = bin.panLength;
    const binLength = bin.bin.length;
    const digits = new Uint8Array(count * length);
    const binDigits = Uint8Array.from(bin.bin, (c) => c.charCodeAt(0) - 48);
    // Luhn from the right: the check digit is position 0; payload digits at odd positions are doubled.
    const luhnDigit = (d: number, position: number) => (position % 2 === 1 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d);
    let binSum = 0;
    for (let i = 0; i < binLength; i++) binSum += luhnDigit(binDigits[i], length - 1 - i);
    // One call to the CSPRNG for the whole batch: expiry and CVC, then the IVs, then the ids.
    const randomness = randomSlice(count * RANDOM_BYTES_PER_CARD);
    const random = randomness.subarray(0, count * 6);
    const cvcs = new Uint8Array(count * 4);
    const expiryMonths = new Uint8Array(count);
    const expiryYears = new Uint16Array(count);
    const baseYear = this.now().getUTCFullYear() + EXPIRY_MIN_YEARS_AHEAD;
    const plain = Buffer.alloc(count * 16);
    for (let k = 0; k < count; k++) {
      const base = k * length;
      digits.set(binDigits, base);
      let x = accounts[k];
      let sum = binSum;
      for (let i = length - 2; i >= binLength; i--) {
        // x is a float64 up to 10^12: floor of a division, not the slower floating-point %.
        const q = Math.floor(x / 10);
        const d = x - q * 10;
        x = q;
        digits[base + i] = d;
        sum += luhnDigit(d, length - 1 - i);
      }
      digits[base + length - 1] = (10 - (sum % 10)) % 10;
      const o = k * 16;
      plain[o] = length;
      for (let j = 0; j < 10; j++) {
        const high = 2 * j < length ? digits[base + 2 * j] : 15;
        const low = 2 * j + 1 < length ? digits[base + 2 * j + 1] : 15;
        plain[o + 1 + j] = (high << 4) | low;
      }
      let source = random.readUInt32BE(k * 6 + 2);
      for (let j = 0; j < 4; j++) {
        const d = j < bin.cvcLength ? source % 10 : 15;
        cvcs[k * 4 + j] = d;
        source = Math.floor(source / 10);
      }
      plain[o + 11] = bin.cvcLength;
      plain[o + 12] = (cvcs[k * 4] << 4) | cvcs[k * 4 + 1];
      plain[o + 13] = (cvcs[k * 4 + 2] << 4) | cvcs[k * 4 + 3];
      expiryMonths[k] = 1 + (random[k * 6] % 12);
      expiryYears[k] = baseYear + (random[k * 6 + 1] % EXPIRY_SPREAD_YEARS);
    }
    const panKeys = Buffer.allocUnsafe(count * PAN_KEY_BYTES);
    writePanKeys(bin, count > FF1_WINDOW / 16 ? this.permutation(bin) : this.windowDecipher(bin), digits, count, panKeys);
    return {
      bin,
      count,
      counters,
      digits,
      idBytes: uuidV7Bytes(count, Date.now(), randomness.subarray(count * 18)),
      panKeys,
      sealed: this.crypto.sealPacked(plain, randomness.subarray(count * 6, count * 18)),
      cvcs,
      expiryMonths,
      expiryYears,
    };
  }

  /** pan_hash of one PAN of `bin`: its index key, computed from its digits (pan-key.ts). */
  panKey(bin: SandboxBin, pan: string): Buffer {
    return panKeyOf(bin, this.permutation(bin), pan);
  }

  /** Full cards (ids, random expiry and CVC, sealed PAN, PAN hash) for the given counters. */
  mint(bin: SandboxBin, counters: ArrayLike<number>): MintedCard[] {
    return cardsOf(this.mintBatch(bin, counters));
  }
}

/** The cards of a batch as objects, PAN and CVC as strings (what the synchronous API answers with). */
export function cardsOf(batch: MintedBatch): MintedCard[] {
  const { bin, count } = batch;
  const length = bin.panLength;
  const cards = new Array<MintedCard>(count);
  for (let k = 0; k < count; k++) {
    let pan = '';
    for (let i = 0; i < length; i++) pan += DIGIT[batch.digits[k * length + i]];
    let cvc = '';
    for (let j = 0; j < bin.cvcLength; j++) cvc += DIGIT[batch.cvcs[k * 4 + j]];
    const idBytes = batch.idBytes.subarray(k * 16, k * 16 + 16);
    cards[k] = {
      id: uuidText(idBytes),
      idBytes,
      bin: bin.bin,
      counter: batch.counters[k],
      pan,
      cvc,
      expiryMonth: batch.expiryMonths[k],
      expiryYear: batch.expiryYears[k],
      last4: pan.slice(-4),
      panKey: batch.panKeys.subarray(k * PAN_KEY_BYTES, (k + 1) * PAN_KEY_BYTES),
      sealed: batch.sealed.subarray(k * SEALED_BLOCK_BYTES, (k + 1) * SEALED_BLOCK_BYTES),
    };
  }
  return cards;
}
