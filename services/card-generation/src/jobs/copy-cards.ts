import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { MintedCard } from '../cards/card-minter.ts';

export const COPY_CARDS_SQL =
  'COPY cards (id, bin, counter, last4, pan_hash, pan_ciphertext, expiry_month, expiry_year, job_id) FROM STDIN';

/** COPY text-format rows (bytea as \\x hex); nothing in a card needs escaping beyond that. */
export function buildCopyRows(cards: readonly MintedCard[], jobId: string): string {
  const lines = new Array<string>(cards.length);
  for (let k = 0; k < cards.length; k++) {
    const c = cards[k];
    lines[k] =
      `${c.id}\t${c.bin}\t${c.counter}\t${c.last4}\t\\\\x${c.panHash.toString('hex')}\t\\\\x${c.sealed.toString('hex')}\t${c.expiryMonth}\t${c.expiryYear}\t${jobId}\n`;
  }
  return lines.join('');
}

/** Streams the cards into `cards` with COPY on `client` (inside the caller's transaction). */
export async function copyCards(client: pg.PoolClient, cards: readonly MintedCard[], jobId: string): Promise<void> {
  const stream = client.query(copyFrom(COPY_CARDS_SQL));
  await pipeline(Readable.from([buildCopyRows(cards, jobId)]), stream);
}
