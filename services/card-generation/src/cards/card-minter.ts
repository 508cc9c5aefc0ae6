// Counter -> card. For a BIN of the sandbox: account digits = FF1(key, tweak = BIN, counter) over
// [0, 10^accountDigits), PAN = BIN || account digits || Luhn check digit. FF1 is a permutation of
// that domain, so distinct counters of one BIN give distinct PANs, and BINs are prefix-free, so PANs
// of different BINs differ too: uniqueness is a property of the construction, not a lookup.
// The order of issued PANs is unpredictable without the key. Expiry and CVC are random.
import { randomBytes } from 'node:crypto';
import { Ff1Decimal } from '../crypto/ff1-decimal.ts';
import { CardCrypto } from './card-crypto.ts';
import type { CardKeys } from './card-keys.ts';
import { withLuhnCheckDigit } from './luhn.ts';
import type { SandboxBin } from './sandbox-bins.ts';
import { uuidV7BatchWithBytes } from './uuid-v7.ts';

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
  panHash: Buffer;
  sealed: Buffer;
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
      if (!(c >= 0 && c < bin.capacity)) throw new Error(`counter ${c} outside BIN ${bin.bin}'s capacity ${bin.capacity}`);
      accounts[k] = c;
    }
    return this.permutation(bin).encryptInPlace(accounts);
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

  /** Full cards (ids, random expiry and CVC, sealed PAN, PAN hash) for the given counters. */
  mint(bin: SandboxBin, counters: ArrayLike<number>): MintedCard[] {
    const count = counters.length;
    const pans = this.pans(bin, counters);
    const random = randomBytes(count * 6);
    const baseYear = this.now().getUTCFullYear() + EXPIRY_MIN_YEARS_AHEAD;
    const secrets = new Array<{ pan: string; cvc: string }>(count);
    for (let k = 0; k < count; k++) {
      let source = random.readUInt32BE(k * 6 + 2);
      let cvc = '';
      for (let j = 0; j < bin.cvcLength; j++) {
        cvc += String(source % 10);
        source = Math.floor(source / 10);
      }
      secrets[k] = { pan: pans[k], cvc };
    }
    const hashes = this.crypto.hashPans(pans);
    const sealed = this.crypto.seal(secrets);
    const { ids, bytes: idBytes } = uuidV7BatchWithBytes(count);
    const cards = new Array<MintedCard>(count);
    for (let k = 0; k < count; k++) {
      cards[k] = {
        id: ids[k],
        idBytes: idBytes.subarray(k * 16, k * 16 + 16),
        bin: bin.bin,
        counter: counters[k],
        pan: pans[k],
        cvc: secrets[k].cvc,
        expiryMonth: 1 + (random[k * 6] % 12),
        expiryYear: baseYear + (random[k * 6 + 1] % EXPIRY_SPREAD_YEARS),
        last4: pans[k].slice(-4),
        panHash: hashes[k],
        sealed: sealed[k],
      };
    }
    return cards;
  }
}
