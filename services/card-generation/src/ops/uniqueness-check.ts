// The proof behind `npm run validate:uniqueness`, over every row of `cards`, read in keyset pages
// of (bin, counter): each ciphertext opens (AES-GCM tag), the PAN is Luhn-valid, has its BIN's length
// and sits in a configured sandbox BIN (its row's), it is the PAN its (BIN, counter) constructs,
// its index matches, and no PAN appears twice. The last is checked here over the keyed hashes this
// check computes from the decrypted PANs (AES of the packed PAN: a permutation, so equal hashes mean
// equal PANs), not by trusting the UNIQUE constraint: the 16-byte hashes are kept in one buffer, their
// first 48 bits sorted as numbers, and only rows whose prefix repeats are compared in full (no set of
// a million strings). PostgreSQL's own count of repeated pan_hash values is reported beside it.
import type { CardMinter } from '../cards/card-minter.ts';
import { isLuhnValid } from '../cards/luhn.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';

export interface CardRowForCheck {
  id: string;
  bin: string;
  counter: number;
  pan_hash: Buffer;
  pan_ciphertext: Buffer;
}

export type ProblemKind = 'unreadable' | 'luhn' | 'not-sandbox' | 'not-constructed' | 'index-mismatch' | 'duplicate';

export interface UniquenessReport {
  cards: number;
  problems: Record<ProblemKind, number>;
  /** First problems found, card ids and kinds only (never a PAN). */
  examples: { id: string; kind: ProblemKind }[];
}

export class UniquenessCheck {
  private readonly minter: CardMinter;
  private readonly bins: Map<string, SandboxBin>;
  private readonly binIds: string[] = [];
  /** Per page: the computed hashes (16 bytes a row), their 48-bit prefixes, BIN index and counter of each row. */
  private readonly pages: { hashes: Buffer; prefixes: Float64Array; bins: Uint16Array; counters: Float64Array }[] = [];
  readonly report: UniquenessReport = {
    cards: 0,
    problems: { unreadable: 0, luhn: 0, 'not-sandbox': 0, 'not-constructed': 0, 'index-mismatch': 0, duplicate: 0 },
    examples: [],
  };

  constructor(minter: CardMinter, bins: readonly SandboxBin[]) {
    this.minter = minter;
    this.bins = new Map(bins.map((b) => [b.bin, b]));
  }

  private binIndex(bin: string): number {
    let at = this.binIds.indexOf(bin);
    if (at < 0) at = this.binIds.push(bin) - 1;
    return at;
  }

  private flag(id: string, kind: ProblemKind): void {
    this.report.problems[kind]++;
    if (this.report.examples.length < 20) this.report.examples.push({ id, kind });
  }

  /** Checks one page of rows, all of one BIN or several. */
  add(rows: readonly CardRowForCheck[]): void {
    const opened = this.minter.crypto.open(rows.map((r) => r.pan_ciphertext));
    const byBin = new Map<string, number[]>();
    rows.forEach((row, k) => {
      const list = byBin.get(row.bin) ?? [];
      list.push(k);
      byBin.set(row.bin, list);
    });
    const constructed = new Array<string | undefined>(rows.length);
    for (const [binId, indexes] of byBin) {
      const bin = this.bins.get(binId);
      if (!bin) continue;
      const valid = indexes.filter((k) => rows[k].counter >= 0 && rows[k].counter < bin.capacity);
      const pans = this.minter.pans(
        bin,
        valid.map((k) => rows[k].counter),
      );
      valid.forEach((k, i) => {
        constructed[k] = pans[i];
      });
    }
    const readable = opened.map((o) => o?.pan);
    const hashes = this.minter.crypto.hashPans(readable.map((p) => p ?? '0000000000000'));
    const page = {
      hashes: Buffer.allocUnsafe(rows.length * 16),
      prefixes: new Float64Array(rows.length),
      bins: new Uint16Array(rows.length),
      counters: new Float64Array(rows.length),
    };
    let kept = 0;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      this.report.cards++;
      const pan = readable[k];
      if (pan === undefined) {
        this.flag(row.id, 'unreadable');
        continue;
      }
      if (!isLuhnValid(pan)) this.flag(row.id, 'luhn');
      const bin = this.bins.get(row.bin);
      if (!bin || !pan.startsWith(bin.bin) || pan.length !== bin.panLength) this.flag(row.id, 'not-sandbox');
      else if (constructed[k] !== pan) this.flag(row.id, 'not-constructed');
      if (!hashes[k].equals(row.pan_hash)) this.flag(row.id, 'index-mismatch');
      hashes[k].copy(page.hashes, kept * 16);
      page.prefixes[kept] = hashes[k].readUIntBE(0, 6);
      page.bins[kept] = this.binIndex(row.bin);
      page.counters[kept] = row.counter;
      kept++;
    }
    this.pages.push({
      hashes: page.hashes.subarray(0, kept * 16),
      prefixes: page.prefixes.subarray(0, kept),
      bins: page.bins.subarray(0, kept),
      counters: page.counters.subarray(0, kept),
    });
  }

  /**
   * Counts PANs seen more than once (every occurrence after the first) and returns the (BIN,
   * counter) of those occurrences, at most 20, for the caller to name by card id.
   */
  finishDuplicates(): { bin: string; counter: number }[] {
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
    const found: { bin: string; counter: number }[] = [];
    if (repeated.size === 0) return found;
    const first = new Set<string>();
    for (const p of this.pages) {
      for (let k = 0; k < p.prefixes.length; k++) {
        if (!repeated.has(p.prefixes[k])) continue;
        const hex = p.hashes.toString('hex', k * 16, k * 16 + 16);
        if (!first.has(hex)) {
          first.add(hex);
          continue;
        }
        this.report.problems.duplicate++;
        if (found.length < 20) found.push({ bin: this.binIds[p.bins[k]], counter: p.counters[k] });
      }
    }
    return found;
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

/** Reads every card in keyset pages of (bin, counter) and checks them; yields between pages. */
export async function runUniquenessCheck(
  pool: import('pg').Pool,
  minter: CardMinter,
  bins: readonly SandboxBin[],
  options: { pageSize?: number; onPage?: (checked: number) => void } = {},
): Promise<UniquenessRun> {
  const check = new UniquenessCheck(minter, bins);
  const startedAt = performance.now();
  const readPage = (after: [string, number]) =>
    pool.query<Omit<CardRowForCheck, 'counter'> & { counter: string }>(
      'SELECT id, bin, counter, pan_hash, pan_ciphertext FROM cards WHERE (bin, counter) > ($1, $2) ORDER BY bin, counter LIMIT $3',
      [after[0], after[1], options.pageSize ?? 50_000],
    );
  // PostgreSQL's count runs beside the pages (another pool connection); the next page is asked for
  // as soon as the current one arrives, so reading and checking overlap.
  const databaseDuplicates = pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT pan_hash FROM cards GROUP BY pan_hash HAVING count(*) > 1) d',
  );
  let next = readPage(['', -1]);
  for (;;) {
    const { rows } = await next;
    if (rows.length === 0) break;
    const last = rows[rows.length - 1];
    next = readPage([last.bin, Number(last.counter)]);
    check.add(rows.map((r) => ({ ...r, counter: Number(r.counter) })));
    options.onPage?.(check.report.cards);
  }
  for (const { bin, counter } of check.finishDuplicates()) {
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM cards WHERE bin = $1 AND counter = $2', [bin, counter]);
    if (check.report.examples.length < 20) check.report.examples.push({ id: rows[0]?.id ?? `${bin}/${counter}`, kind: 'duplicate' });
  }
  const { rows: dupes } = await databaseDuplicates;
  return {
    ...check.report,
    ok: check.ok && dupes[0].n === 0,
    databaseDuplicateHashes: dupes[0].n,
    durationMs: Math.round(performance.now() - startedAt),
  };
}
