// Every row of `cards` that the uniqueness check needs, read with one binary COPY (one snapshot, a
// sequential scan, no ORDER BY) and cut into batches of contiguous buffers: no row object, no hex
// text for the bytea columns, no string per row but for a BIN not seen just before. A value of the
// wrong length (a bytea altered at rest) is kept as a flag, so the check reports it.
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { PAN_KEY_BYTES } from '../cards/pan-key.ts';

export const CARD_ROWS_COPY_SQL = 'COPY (SELECT id, bin, counter, pan_hash, pan_ciphertext FROM cards) TO STDOUT (FORMAT binary)';

/** Room for a stored pan_hash: the index key (PAN_KEY_BYTES) or the AES hash of older releases (16). */
export const ROW_HASH_BYTES = 16;
export const ROW_SEALED_BYTES = 44;

export interface CardRowBatch {
  count: number;
  /** 16 bytes of each card's id. */
  ids: Buffer;
  /** Index of each row's BIN in `binIds` (shared by every batch of one read). */
  binIndex: Uint16Array;
  binIds: string[];
  counters: Float64Array;
  /** The stored pan_hash, ROW_HASH_BYTES a row (zero-padded), of length `hashLength` (0 where NULL or of another length). */
  hashes: Buffer;
  hashLength: Uint8Array;
  /** The stored pan_ciphertext, 44 bytes a row (zeros where `sealedOk` is 0). */
  sealed: Buffer;
  sealedOk: Uint8Array;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELDS = 5;

function newBatch(rows: number, binIds: string[]): CardRowBatch {
  return {
    count: 0,
    ids: Buffer.alloc(rows * 16),
    binIndex: new Uint16Array(rows),
    binIds,
    counters: new Float64Array(rows),
    hashes: Buffer.alloc(rows * ROW_HASH_BYTES),
    hashLength: new Uint8Array(rows),
    sealed: Buffer.alloc(rows * ROW_SEALED_BYTES),
    sealedOk: new Uint8Array(rows),
  };
}

/** Parses the tuples of a binary COPY stream into batches; `push` is called with each full batch. */
export class CardRowParser {
  private readonly batchRows: number;
  private readonly binIds: string[] = [];
  private readonly binAt = new Map<string, number>();
  private lastBin = Buffer.alloc(0);
  private lastBinIndex = -1;
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private ended = false;
  private batch: CardRowBatch;

  constructor(batchRows: number) {
    this.batchRows = batchRows;
    this.batch = newBatch(batchRows, this.binIds);
  }

  /** Feeds one chunk of the stream; returns the batches it completed. */
  write(chunk: Buffer): CardRowBatch[] {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const full: CardRowBatch[] = [];
    let o = 0;
    if (!this.headerDone) {
      if (data.length < SIGNATURE.length + 8) {
        this.pending = Buffer.from(data);
        return full;
      }
      if (!data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const extension = data.readUInt32BE(SIGNATURE.length + 4);
      if (data.length < SIGNATURE.length + 8 + extension) {
        this.pending = Buffer.from(data);
        return full;
      }
      o = SIGNATURE.length + 8 + extension;
      this.headerDone = true;
    }
    while (o + 2 <= data.length) {
      const fields = data.readInt16BE(o);
      if (fields === -1) {
        this.ended = true;
        o += 2;
        break;
      }
      if (fields !== FIELDS) throw new Error(`COPY tuple of ${fields} fields, expected ${FIELDS}`);
      const next = this.tuple(data, o + 2);
      if (next < 0) break;
      o = next;
      if (this.batch.count === this.batchRows) {
        full.push(this.batch);
        this.batch = newBatch(this.batchRows, this.binIds);
      }
    }
    this.pending = o < data.length ? Buffer.from(data.subarray(o)) : Buffer.alloc(0);
    return full;
  }

  /** The last, partial batch (after the stream's end). */
  end(): CardRowBatch | undefined {
    if (!this.ended) throw new Error('the COPY stream ended before its trailer');
    return this.batch.count > 0 ? this.batch : undefined;
  }

  /** Reads one tuple's five fields at `start` (after the field count); -1 when the data stops inside it. */
  private tuple(data: Buffer, start: number): number {
    // First find where it ends, so that a tuple split across chunks is read whole on the next write.
    const offsets: number[] = [];
    let o = start;
    for (let f = 0; f < FIELDS; f++) {
      if (o + 4 > data.length) return -1;
      const length = data.readInt32BE(o);
      offsets.push(o + 4, length);
      o += 4 + Math.max(length, 0);
      if (o > data.length) return -1;
    }
    const b = this.batch;
    const k = b.count;
    const [idAt, idLength, binAt, binLength, counterAt, counterLength, hashAt, hashLength, sealedAt, sealedLength] = offsets;
    if (idLength !== 16 || binLength < 0 || counterLength !== 8) throw new Error('cards row with a NULL or malformed id, bin or counter');
    data.copy(b.ids, k * 16, idAt, idAt + 16);
    b.binIndex[k] = this.binIndexOf(data, binAt, binLength);
    b.counters[k] = data.readUInt32BE(counterAt) * 4294967296 + data.readUInt32BE(counterAt + 4);
    if (data.readInt32BE(counterAt) < 0) b.counters[k] = -1;
    if (hashLength === ROW_HASH_BYTES || hashLength === PAN_KEY_BYTES) {
      data.copy(b.hashes, k * ROW_HASH_BYTES, hashAt, hashAt + hashLength);
      b.hashLength[k] = hashLength;
    }
    if (sealedLength === ROW_SEALED_BYTES) {
      data.copy(b.sealed, k * ROW_SEALED_BYTES, sealedAt, sealedAt + ROW_SEALED_BYTES);
      b.sealedOk[k] = 1;
    }
    b.count++;
    return o;
  }

  private binIndexOf(data: Buffer, at: number, length: number): number {
    if (this.lastBinIndex >= 0 && length === this.lastBin.length && data.compare(this.lastBin, 0, length, at, at + length) === 0)
      return this.lastBinIndex;
    const bin = data.toString('utf8', at, at + length);
    let index = this.binAt.get(bin);
    if (index === undefined) {
      index = this.binIds.push(bin) - 1;
      this.binAt.set(bin, index);
    }
    this.lastBin = Buffer.from(data.subarray(at, at + length));
    this.lastBinIndex = index;
    return index;
  }
}

/** Every card row in batches of `batchRows`, from one COPY on a connection of `pool`. */
export async function* readCardRowBatches(pool: pg.Pool, batchRows: number): AsyncGenerator<CardRowBatch> {
  const client = await pool.connect();
  let finished = false;
  try {
    const parser = new CardRowParser(batchRows);
    const stream = client.query(copyTo(CARD_ROWS_COPY_SQL));
    for await (const chunk of stream) yield* parser.write(chunk as Buffer);
    finished = true;
    const last = parser.end();
    if (last) yield last;
  } finally {
    // An error, or a consumer that stopped early, leaves the COPY unfinished: drop the connection.
    client.release(!finished);
  }
}
