// pan_hash, the PAN's index key under UNIQUE: the PAN with its account digits deciphered back through
// FF1 (so they read as the counter), packed like the PAN itself: [PAN length] then 10 bytes of BCD
// (BIN digits, the deciphered account digits at their width, the check digit, padded with F), 11 bytes.
//   * A keyed bijection of the sandbox PANs: the BIN and check digit are kept, FF1 is a permutation of
//     the account digits under the BIN's tweak, and BINs of one length are prefix-free. So equal keys
//     mean equal PANs and UNIQUE (pan_hash) holds exactly when the PANs are unique.
//   * Computed from the PAN's digits, never from the row's counter: a minting bug that gave two
//     counters one PAN gives them one key, which the index refuses.
//   * Ascending with the counter inside a BIN (BCD of fixed width compares as the number), so a bulk
//     chunk's keys go to the right end of their range of the B-tree instead of to a random leaf each.
//   * It shows the BIN, the counter and the check digit, which the row holds in clear anyway (bin,
//     counter, last4); the account digits, the rest of the PAN, need the FF1 key.
// The AES-256 hash of the packed PAN (16 bytes, CardCrypto.hashPacked) that older releases stored is
// still recognised (a length of 16 never equals one of 11): `npm run migrate:data` rewrites such rows.
import type { Ff1Decimal } from '../crypto/ff1-decimal.ts';
import type { SandboxBin } from './sandbox-bins.ts';

export const PAN_KEY_BYTES = 11;

/**
 * Keys of `count` PANs of one BIN given as digits (bin.panLength a PAN, end to end), written to
 * `out` (PAN_KEY_BYTES a PAN). The account digits are read back from `digits`, deciphered in one batch.
 */
export function writePanKeys(
  bin: SandboxBin,
  ff1: Pick<Ff1Decimal, 'decryptInPlace'>,
  digits: Uint8Array,
  count: number,
  out: Buffer,
): void {
  const length = bin.panLength;
  const binLength = bin.bin.length;
  const accounts = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let account = 0;
    for (let i = k * length + binLength, end = k * length + length - 1; i < end; i++) account = account * 10 + digits[i];
    accounts[k] = account;
  }
  ff1.decryptInPlace(accounts);
  const keyDigits = new Uint8Array(20).fill(15);
  for (let i = 0; i < binLength; i++) keyDigits[i] = bin.bin.charCodeAt(i) - 48;
  for (let k = 0; k < count; k++) {
    let x = accounts[k];
    for (let i = length - 2; i >= binLength; i--) {
      // x is a float64 up to 10^12: floor of a division, not the slower floating-point %.
      const q = Math.floor(x / 10);
      const d = x - q * 10;
      x = q;
      keyDigits[i] = d;
    }
    keyDigits[length - 1] = digits[k * length + length - 1];
    const o = k * PAN_KEY_BYTES;
    out[o] = length;
    for (let j = 0; j < 10; j++) out[o + 1 + j] = (keyDigits[2 * j] << 4) | keyDigits[2 * j + 1];
  }
}

/** The key of one PAN of `bin` (its digits as a string, of bin.panLength). */
export function panKeyOf(bin: SandboxBin, ff1: Ff1Decimal, pan: string): Buffer {
  if (pan.length !== bin.panLength || !pan.startsWith(bin.bin) || !/^\d+$/.test(pan)) throw new Error(`not a PAN of BIN ${bin.bin}`);
  const out = Buffer.alloc(PAN_KEY_BYTES);
  writePanKeys(
    bin,
    ff1,
    Uint8Array.from(pan, (c) => c.charCodeAt(0) - 48),
    1,
    out,
  );
  return out;
}
