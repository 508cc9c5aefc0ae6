// UUID version 7 (RFC 9562): 48-bit Unix time in ms, then a sequence number and random bits. Ids
// minted by this process only grow (RFC 9562 section 6.2, method 1: an 18-bit counter in rand_a and
// the top 6 bits of rand_b, reset each new millisecond, 56 random bits after it; a counter that
// would overflow moves the timestamp on by 1 ms). So a bulk chunk's rows append at the right end of
// the primary key's B-tree in order, instead of landing at random places in its last pages.
import { randomBytes } from 'node:crypto';

const SEQUENCE_BITS = 18;
const SEQUENCE_LIMIT = 2 ** SEQUENCE_BITS;
let lastMs = -1;
let nextSequence = 0;

/** `count` v7 UUIDs with the timestamp `nowMs` (or later, to stay above ids already minted). */
export function uuidV7Batch(count: number, nowMs: number = Date.now()): string[] {
  return uuidV7BatchWithBytes(count, nowMs).ids;
}

/** The text form of the 16 bytes of a UUID. */
export function uuidText(bytes: Uint8Array, offset = 0): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + offset, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The same, with the 16 bytes of every id (`bytes[16k .. 16k+16)` is id k) for binary COPY. */
export function uuidV7BatchWithBytes(count: number, nowMs: number = Date.now()): { ids: string[]; bytes: Buffer } {
  const bytes = uuidV7Bytes(count, nowMs);
  return { ids: Array.from({ length: count }, (_, k) => uuidText(bytes, k * 16)), bytes };
}

/**
 * `count` v7 UUIDs as 16 bytes each, end to end (`bytes[16k .. 16k+16)` is id k), written over
 * `bytes` when given (16 random bytes a UUID, from the caller's CSPRNG call).
 */
export function uuidV7Bytes(count: number, nowMs: number = Date.now(), bytes: Buffer = randomBytes(count * 16)): Buffer {
  if (bytes.length !== count * 16) throw new Error('uuidV7Bytes: 16 random bytes per id');
  if (nowMs > lastMs) {
    lastMs = nowMs;
    nextSequence = 0;
  }
  let high = Math.floor(lastMs / 2 ** 16);
  let low = lastMs % 2 ** 16;
  for (let k = 0; k < count; k++) {
    if (nextSequence === SEQUENCE_LIMIT) {
      lastMs++;
      nextSequence = 0;
      high = Math.floor(lastMs / 2 ** 16);
      low = lastMs % 2 ** 16;
    }
    const sequence = nextSequence++;
    const o = k * 16;
    bytes.writeUInt32BE(high, o);
    bytes.writeUInt16BE(low, o + 4);
    bytes[o + 6] = 0x70 | (sequence >>> 14);
    bytes[o + 7] = (sequence >>> 6) & 0xff;
    bytes[o + 8] = 0x80 | (sequence & 0x3f);
  }
  return bytes;
}
