// The proof behind `npm run validate:uniqueness`, over every row of `cards`, read in keyset pages
// of (bin, counter): each ciphertext opens (AES-GCM tag), the PAN is Luhn-valid, has its BIN's length
// and sits in a configured sandbox BIN (its row's), it is the PAN its (BIN, counter) constructs,
// its index matches, and no PAN appears twice (checked here, in memory, not by trusting the UNIQUE
// constraint). Pure over the rows it is given; the script does the reading.
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
  private readonly seen = new Set<string>();
  readonly report: UniquenessReport = {
    cards: 0,
    problems: { unreadable: 0, luhn: 0, 'not-sandbox': 0, 'not-constructed': 0, 'index-mismatch': 0, duplicate: 0 },
    examples: [],
  };

  constructor(minter: CardMinter, bins: readonly SandboxBin[]) {
    this.minter = minter;
    this.bins = new Map(bins.map((b) => [b.bin, b]));
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
      if (this.seen.has(pan)) this.flag(row.id, 'duplicate');
      else this.seen.add(pan);
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

/** Reads every card in keyset pages of (bin, counter) and checks them; yields between pages. */
export async function runUniquenessCheck(
  pool: import('pg').Pool,
  minter: CardMinter,
  bins: readonly SandboxBin[],
  options: { pageSize?: number; onPage?: (checked: number) => void } = {},
): Promise<UniquenessRun> {
  const check = new UniquenessCheck(minter, bins);
  const startedAt = performance.now();
  let after: [string, number] = ['', -1];
  for (;;) {
    const { rows } = await pool.query<Omit<CardRowForCheck, 'counter'> & { counter: string }>(
      'SELECT id, bin, counter, pan_hash, pan_ciphertext FROM cards WHERE (bin, counter) > ($1, $2) ORDER BY bin, counter LIMIT $3',
      [after[0], after[1], options.pageSize ?? 50_000],
    );
    if (rows.length === 0) break;
    check.add(rows.map((r) => ({ ...r, counter: Number(r.counter) })));
    const last = rows[rows.length - 1];
    after = [last.bin, Number(last.counter)];
    options.onPage?.(check.report.cards);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rows: dupes } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT pan_hash FROM cards GROUP BY pan_hash HAVING count(*) > 1) d',
  );
  return {
    ...check.report,
    ok: check.ok && dupes[0].n === 0,
    databaseDuplicateHashes: dupes[0].n,
    durationMs: Math.round(performance.now() - startedAt),
  };
}
