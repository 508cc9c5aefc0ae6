// The proof behind `npm run validate:uniqueness`, over every row of `cards`, read with one binary
// COPY in batches of contiguous buffers (card-row-batches.ts): each ciphertext opens (AES-GCM tag),
// the PAN is Luhn-valid, has its BIN's length and sits in a configured sandbox BIN (its row's), it is
// the PAN its (BIN, counter) constructs, its index key matches (pan-key.ts; or the AES hash of older
// releases, counted apart), and no PAN appears twice. Every check
// works on the opened BCD bytes and on numbers, never on a string per card. The last is checked here
// over the keyed hashes this check computes from the decrypted PANs (AES of the packed PAN: a
// permutation, so equal hashes mean equal PANs), not by trusting the UNIQUE constraint: the 16-byte
// hashes are kept in one buffer per batch, their first 48 bits sorted as numbers, and only rows whose
// prefix repeats are compared in full. PostgreSQL's own count of repeated pan_hash values is reported beside it.
import type pg from 'pg';
import type { CardMinter } from '../cards/card-minter.ts';
import { PAN_KEY_BYTES } from '../cards/pan-key.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';
import { type CardRowBatch, readCardRowBatches } from './card-row-batches.ts';

export type ProblemKind = 'unreadable' | 'luhn' | 'not-sandbox' | 'not-constructed' | 'index-mismatch' | 'duplicate';

export interface UniquenessReport {
  cards: number;
  problems: Record<ProblemKind, number>;
  /** First problems found, card ids and kinds only (never a PAN). */
  examples: { id: string; kind: ProblemKind }[];
  /** Rows whose pan_hash is still the AES hash of an older release (right, but `migrate:data` rewrites them). */
  legacyIndexRows: number;
}

/** A UUID's 16 bytes at `offset` in its text form. */
function uuidText(bytes: Buffer, offset: number): string {
  const hex = bytes.toString('hex', offset, offset + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class UniquenessCheck {
  private readonly minter: CardMinter;
  private readonly bins: Map<string, SandboxBin>;
  /** Per batch: the ids, computed hashes (16 bytes a row) and 48-bit prefixes of the rows that opened. */
  private readonly pages: { ids: Buffer; hashes: Buffer; prefixes: Float64Array }[] = [];
  readonly report: UniquenessReport = {
    cards: 0,
    problems: { unreadable: 0, luhn: 0, 'not-sandbox': 0, 'not-constructed': 0, 'index-mismatch': 0, duplicate: 0 },
    examples: [],
    legacyIndexRows: 0,
  };

  constructor(minter: CardMinter, bins: readonly SandboxBin[]) {
    this.minter = minter;
    this.bins = new Map(bins.map((b) => [b.bin, b]));
  }

  private flag(ids: Buffer, k: number, kind: ProblemKind): void {
    this.report.problems[kind]++;
    if (this.report.examples.length < 20) this.report.examples.push({ id: uuidText(ids, k * 16), kind });
  }

  /** The account numbers the rows' counters construct, NaN where the BIN is unknown or the counter outside it. */
  private constructedAccounts(batch: CardRowBatch): Float64Array {
    const constructed = new Float64Array(batch.count).fill(Number.NaN);
    batch.binIds.forEach((binId, binIndex) => {
      const bin = this.bins.get(binId);
      if (!bin) return;
      const rows: number[] = [];
      for (let k = 0; k < batch.count; k++) {
        const c = batch.counters[k];
        if (batch.binIndex[k] === binIndex && c >= 0 && c < bin.capacity && Number.isInteger(c)) rows.push(k);
      }
      if (rows.length === 0) return;
      const accounts = this.minter.accounts(
        bin,
        rows.map((k) => batch.counters[k]),
      );
      for (let i = 0; i < rows.length; i++) constructed[rows[i]] = accounts[i];
    });
    return constructed;
  }

  /** Checks one batch of rows (of one BIN or several). */
  addBatch(batch: CardRowBatch): void {
    const count = batch.count;
    const plain = Buffer.alloc(count * 16);
    const opened = this.minter.crypto.openInto(batch.sealed.subarray(0, count * 44), batch.sealedOk.subarray(0, count), plain);
    const constructed = this.constructedAccounts(batch);
    const hashes = Buffer.allocUnsafe(count * 16);
    this.minter.crypto.hashPacked(plain, hashes);
    const binOf = batch.binIds.map((id) => this.bins.get(id));
    const page = { ids: batch.ids, hashes: Buffer.allocUnsafe(count * 16), prefixes: new Float64Array(count) };
    const digits = new Uint8Array(32);
    const key = Buffer.alloc(PAN_KEY_BYTES);
    const keyDigits = new Uint8Array(20);
    let kept = 0;
    this.report.cards += count;
    for (let k = 0; k < count; k++) {
      const p = k * 16;
      const length = plain[p];
      const cvcLength = plain[p + 11];
      if (!opened[k] || length < 12 || length > 19 || cvcLength < 3 || cvcLength > 4) {
        this.flag(batch.ids, k, 'unreadable');
        continue;
      }
      // The PAN's digits from its BCD (a nibble above 9 is no digit: it fails Luhn), then Luhn from the right.
      let allDigits = true;
      for (let i = 0; i < length; i++) {
        const byte = plain[p + 1 + (i >> 1)];
        const d = i % 2 === 0 ? byte >> 4 : byte & 15;
        if (d > 9) allDigits = false;
        digits[i] = d;
      }
      let sum = 0;
      for (let i = length - 1, double = false; i >= 0; i--, double = !double) {
        let d = digits[i];
        if (double) {
          d *= 2;
          if (d > 9) d -= 9;
        }
        sum += d;
      }
      if (!allDigits || sum % 10 !== 0) this.flag(batch.ids, k, 'luhn');
      const bin = binOf[batch.binIndex[k]];
      let inBin = bin !== undefined && length === bin.panLength;
      if (bin && inBin) for (let i = 0; i < bin.bin.length; i++) if (digits[i] !== bin.bin.charCodeAt(i) - 48) inBin = false;
      let indexOk = false;
      const storedLength = batch.hashLength[k];
      if (storedLength === 16) {
        indexOk = hashes.compare(batch.hashes, p, p + 16, p, p + 16) === 0;
        if (indexOk) this.report.legacyIndexRows++;
      }
      if (!bin || !inBin) this.flag(batch.ids, k, 'not-sandbox');
      else {
        let account = 0;
        for (let i = bin.bin.length; i < length - 1; i++) account = account * 10 + digits[i];
        const isConstructed = allDigits && account === constructed[k];
        if (!isConstructed) this.flag(batch.ids, k, 'not-constructed');
        if (storedLength === PAN_KEY_BYTES && allDigits) {
          if (isConstructed) {
            // account = FF1(counter), so the key's deciphered account digits are the counter's.
            keyDigits.fill(15);
            keyDigits.set(digits.subarray(0, length));
            let x = batch.counters[k];
            for (let i = length - 2; i >= bin.bin.length; i--) {
              // x is a float64 up to 10^12: floor of a division, not the slower floating-point %.
              const q = Math.floor(x / 10);
              const d = x - q * 10;
              x = q;
              keyDigits[i] = d;
            }
            key[0] = length;
            for (let j = 0; j < 10; j++) key[1 + j] = (keyDigits[2 * j] << 4) | keyDigits[2 * j + 1];
          } else this.minter.panKey(bin, String.fromCharCode(...digits.subarray(0, length).map((d) => d + 48))).copy(key);
          indexOk = key.compare(batch.hashes, p, p + PAN_KEY_BYTES) === 0;
        }
      }
      if (!indexOk) this.flag(batch.ids, k, 'index-mismatch');
      hashes.copy(page.hashes, kept * 16, p, p + 16);
      page.prefixes[kept] = hashes.readUIntBE(p, 6);
      if (kept !== k) batch.ids.copy(page.ids, kept * 16, k * 16, k * 16 + 16);
      kept++;
    }
    this.pages.push({
      ids: page.ids.subarray(0, kept * 16),
      hashes: page.hashes.subarray(0, kept * 16),
      prefixes: page.prefixes.subarray(0, kept),
    });
  }

  /** Counts PANs seen more than once (every occurrence after the first), naming the first 20 by card id. */
  finishDuplicates(): void {
    const total = this.pages.reduce((n, p) => n + p.prefixes.length, 0);
    const sorted = new Float64Array(total);
    let at = 0;
    for (const p of this.pages) {
      sorted.set(p.prefixes, at);
      at += p.prefixes.length;
    }
    sorted.sort();
    const repeated = new Set<number>();
    for (let i = 1; i < total; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]);
    if (repeated.size === 0) return;
    const first = new Set<string>();
    for (const p of this.pages) {
      for (let k = 0; k < p.prefixes.length; k++) {
        if (!repeated.has(p.prefixes[k])) continue;
        const hex = p.hashes.toString('hex', k * 16, k * 16 + 16);
        if (!first.has(hex)) {
          first.add(hex);
          continue;
        }
        this.flag(p.ids, k, 'duplicate');
      }
    }
  }

  get ok(): boolean {
    return Object.values(this.report.problems).every((n) => n === 0);
  }
}

export interface UniquenessRun extends UniquenessReport {
  ok: boolean;
  /** Groups of rows sharing a pan_hash, as PostgreSQL counts them (the UNIQUE constraint makes it 0). */
  databaseDuplicateHashes: number;
  durationMs: number;
}

/** Reads every card (one COPY) and checks it, batch by batch; yields to the event loop between batches. */
export async function runUniquenessCheck(
  pool: pg.Pool,
  minter: CardMinter,
  bins: readonly SandboxBin[],
  options: { pageSize?: number; onPage?: (checked: number) => void } = {},
): Promise<UniquenessRun> {
  const check = new UniquenessCheck(minter, bins);
  const startedAt = performance.now();
  // PostgreSQL's count runs beside the read (another pool connection).
  const databaseDuplicates = pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT pan_hash FROM cards GROUP BY pan_hash HAVING count(*) > 1) d',
  );
  databaseDuplicates.catch(() => undefined);
  for await (const batch of readCardRowBatches(pool, options.pageSize ?? 50_000)) {
    check.addBatch(batch);
    options.onPage?.(check.report.cards);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  check.finishDuplicates();
  const { rows: dupes } = await databaseDuplicates;
  return {
    ...check.report,
    ok: check.ok && dupes[0].n === 0,
    databaseDuplicateHashes: dupes[0].n,
    durationMs: Math.round(performance.now() - startedAt),
  };
}
