// COPY of a chunk's cards in PostgreSQL's binary format: one Buffer built in a single pass from the
// minted batch's columns (no hex text for the two bytea columns, no object or string per card), so
// neither this process nor the backend parses text. Measured with 200,000 rows into `cards` with its three indexes: binary 2.6 s against
// 3.3 s for text.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SEALED_BLOCK_BYTES } from '../cards/card-crypto.ts';
import type { MintedBatch } from '../cards/card-minter.ts';
import { PAN_KEY_BYTES } from '../cards/pan-key.ts';

export const COPY_CARDS_SQL =
  'COPY cards (id, bin, counter, last4, pan_hash, pan_ciphertext, expiry_month, expiry_year, job_id) FROM STDIN (FORMAT binary)';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELDS = 9;
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Writes the 16 bytes of a UUID in its text form at `offset`; throws on anything else. */
export function writeUuid(id: string, out: Buffer, offset: number): void {
  let o = offset;
  let high = -1;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code === 45) continue;
    const nibble = code < 128 ? HEX[code] : -1;
    if (nibble < 0) throw new Error(`"${id}" is not a UUID`);
    if (high < 0) high = nibble;
    else {
      out[o++] = (high << 4) | nibble;
      high = -1;
    }
  }
  if (o - offset !== 16 || high >= 0) throw new Error(`"${id}" is not a UUID`);
}

/**
 * The whole COPY payload (header, one tuple per card, trailer) for a minted batch of one job. Every
 * tuple of a batch has the same layout (fixed-length fields, one BIN), so a template tuple with the
 * field count, every length word, the BIN and the job id is copied per card and only the card's own
 * bytes are written into it, straight from the batch's columns. `keyBytes`: the length of a pan_hash
 * in `batch.panKeys` (bench/card-index-cost.bench.ts writes the older 16-byte AES hashes with it).
 */
export function buildCopyPayload(batch: MintedBatch, jobId: string, keyBytes: number = PAN_KEY_BYTES): Buffer {
  const header = SIGNATURE.length + 8;
  const count = batch.count;
  const bin = batch.bin.bin;
  const binLength = bin.length;
  const panLength = batch.bin.panLength;
  // Offsets inside one tuple.
  const ID = 2 + 4;
  const BIN = ID + 16 + 4;
  const COUNTER = BIN + binLength + 4;
  const LAST4 = COUNTER + 8 + 4;
  const HASH = LAST4 + 4 + 4;
  const SEALED = HASH + keyBytes + 4;
  const MONTH = SEALED + SEALED_BLOCK_BYTES + 4;
  const YEAR = MONTH + 4 + 4;
  const JOB = YEAR + 4 + 4;
  const tupleBytes = JOB + 16;
  const template = Buffer.alloc(tupleBytes);
  template.writeInt16BE(FIELDS, 0);
  template.writeInt32BE(16, ID - 4);
  template.writeInt32BE(binLength, BIN - 4);
  template.write(bin, BIN, 'latin1');
  template.writeInt32BE(8, COUNTER - 4);
  template.writeInt32BE(4, LAST4 - 4);
  template.writeInt32BE(keyBytes, HASH - 4);
  template.writeInt32BE(SEALED_BLOCK_BYTES, SEALED - 4);
  template.writeInt32BE(4, MONTH - 4);
  template.writeInt32BE(4, YEAR - 4);
  template.writeInt32BE(16, JOB - 4);
  writeUuid(jobId, template, JOB);

  const out = Buffer.allocUnsafe(header + count * tupleBytes + 2);
  SIGNATURE.copy(out, 0);
  out.writeInt32BE(0, SIGNATURE.length);
  out.writeInt32BE(0, SIGNATURE.length + 4);
  const { counters, digits, idBytes, panKeys, sealed, expiryMonths, expiryYears } = batch;
  let o = header;
  for (let k = 0; k < count; k++) {
    template.copy(out, o);
    idBytes.copy(out, o + ID, k * 16, k * 16 + 16);
    // counter < 2^53: high and low 32-bit words
    const counter = counters[k];
    const high = Math.floor(counter / 4294967296);
    out.writeUInt32BE(high, o + COUNTER);
    out.writeUInt32BE(counter - high * 4294967296, o + COUNTER + 4);
    const last4 = k * panLength + panLength - 4;
    out[o + LAST4] = 48 + digits[last4];
    out[o + LAST4 + 1] = 48 + digits[last4 + 1];
    out[o + LAST4 + 2] = 48 + digits[last4 + 2];
    out[o + LAST4 + 3] = 48 + digits[last4 + 3];
    panKeys.copy(out, o + HASH, k * keyBytes, (k + 1) * keyBytes);
    sealed.copy(out, o + SEALED, k * SEALED_BLOCK_BYTES, (k + 1) * SEALED_BLOCK_BYTES);
    out.writeInt32BE(expiryMonths[k], o + MONTH);
    out.writeInt32BE(expiryYears[k], o + YEAR);
    o += tupleBytes;
  }
  out.writeInt16BE(-1, o);
  return out;
}

/** Streams the batch into `cards` with one binary COPY on `client` (inside the caller's transaction). */
export async function copyCards(client: pg.PoolClient, batch: MintedBatch, jobId: string): Promise<void> {
  const payload = buildCopyPayload(batch, jobId);
  await pipeline(Readable.from([payload]), client.query(copyFrom(COPY_CARDS_SQL)));
}
