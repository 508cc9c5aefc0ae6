// What the card store keeps instead of a PAN, computed for whole batches:
//   * the PAN hash: AES-256 (its own key) of the PAN packed into one block, a keyed permutation, so
//     equal hashes mean equal PANs. It was pan_hash before the index key (pan-key.ts) replaced it:
//     rows of older releases still carry it (found by `validate`, rewritten by `migrate:data`), and
//     validate:uniqueness finds repeated PANs by it (random, so its prefixes sort well).
//   * pan_ciphertext: AES-256-GCM of the packed PAN and CVC (random 96-bit IV, 16-byte tag).
// Packed block: [PAN length] [PAN as BCD, 10 bytes, padded with F] [CVC length] [CVC BCD, 2 bytes] [0 0].
import { randomBytes } from 'node:crypto';
import { createBlockCipher } from '../crypto/ff1.ts';
import { GCM_IV_BYTES, GcmSingleBlock, SEALED_BLOCK_BYTES } from '../crypto/gcm-single-block.ts';
import type { CardKeys } from './card-keys.ts';

export const PAN_HASH_BYTES = 16;
export { SEALED_BLOCK_BYTES };

function packBcd(digits: string, out: Buffer, offset: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) {
    const high = i * 2 < digits.length ? digits.charCodeAt(i * 2) - 48 : 15;
    const low = i * 2 + 1 < digits.length ? digits.charCodeAt(i * 2 + 1) - 48 : 15;
    out[offset + i] = (high << 4) | low;
  }
}

function unpackBcd(block: Buffer, offset: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const byte = block[offset + (i >> 1)];
    out += String(i % 2 === 0 ? byte >> 4 : byte & 15);
  }
  return out;
}

export function packCard(pan: string, cvc: string, out: Buffer = Buffer.alloc(16), offset = 0): Buffer {
  out[offset] = pan.length;
  packBcd(pan, out, offset + 1, 10);
  out[offset + 11] = cvc.length;
  packBcd(cvc, out, offset + 12, 2);
  out[offset + 14] = 0;
  out[offset + 15] = 0;
  return out;
}

export function unpackCard(block: Buffer): { pan: string; cvc: string } | undefined {
  const panLength = block[0];
  const cvcLength = block[11];
  if (panLength < 12 || panLength > 19 || cvcLength < 3 || cvcLength > 4) return undefined;
  return { pan: unpackBcd(block, 1, panLength), cvc: unpackBcd(block, 12, cvcLength) };
}

export class CardCrypto {
  private readonly gcm: GcmSingleBlock;
  private readonly indexCipher;

  constructor(keys: CardKeys) {
    this.gcm = new GcmSingleBlock(keys.encryption);
    this.indexCipher = createBlockCipher(keys.index);
  }

  /** pan_hash of each PAN: 16 bytes each, in order. */
  hashPans(pans: readonly string[]): Buffer[] {
    const blocks = Buffer.alloc(pans.length * 16);
    for (let k = 0; k < pans.length; k++) {
      blocks[k * 16] = pans[k].length;
      packBcd(pans[k], blocks, k * 16 + 1, 10);
    }
    const out = Buffer.from(this.indexCipher.update(blocks));
    return pans.map((_, k) => out.subarray(k * 16, k * 16 + 16));
  }

  /**
   * pan_hash of opened blocks: `plain` holds 16-byte packed cards (packCard's layout); the hash of
   * each is written to `out` (16 bytes a card). The PAN part (length and BCD) is what is hashed.
   */
  hashPacked(plain: Buffer, out: Buffer): void {
    const count = plain.length / 16;
    const blocks = Buffer.alloc(count * 16);
    for (let k = 0; k < count; k++) plain.copy(blocks, k * 16, k * 16, k * 16 + 11);
    this.indexCipher.update(blocks).copy(out);
  }

  /** pan_ciphertext of packed cards laid end to end (16 bytes each), fresh random IVs: 44 bytes each, end to end. */
  sealPacked(plain: Buffer, ivs: Buffer = randomBytes((plain.length / 16) * GCM_IV_BYTES)): Buffer {
    return this.gcm.sealBlocks(plain, ivs);
  }

  /** Opens pan_ciphertext values laid end to end (see GcmSingleBlock.openInto). */
  openInto(sealed: Buffer, present: Uint8Array, plain: Buffer): Uint8Array {
    return this.gcm.openInto(sealed, present, plain);
  }

  hashPan(pan: string): Buffer {
    return this.hashPans([pan])[0];
  }

  /** pan_ciphertext of each card (44 bytes each), fresh random IVs. */
  seal(cards: readonly { pan: string; cvc: string }[], ivs: Buffer = randomBytes(cards.length * GCM_IV_BYTES)): Buffer[] {
    const plain = Buffer.alloc(cards.length * 16);
    for (let k = 0; k < cards.length; k++) packCard(cards[k].pan, cards[k].cvc, plain, k * 16);
    const sealed = this.gcm.sealBlocks(plain, ivs);
    return cards.map((_, k) => sealed.subarray(k * SEALED_BLOCK_BYTES, (k + 1) * SEALED_BLOCK_BYTES));
  }

  /** Opens pan_ciphertext values; undefined where the tag does not verify (altered row or another key). */
  open(sealed: readonly Buffer[]): ({ pan: string; cvc: string } | undefined)[] {
    return this.gcm.openBlocks(sealed).map((block) => (block ? unpackCard(block) : undefined));
  }
}
