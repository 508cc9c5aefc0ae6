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
