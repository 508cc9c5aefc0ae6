import type pg from 'pg';
import type { MintedCard } from '../cards/card-minter.ts';

export interface StoredCard {
  id: string;
  bin: string;
  network: string;
  panLength: number;
  last4: string;
  expiryMonth: number;
  expiryYear: number;
  status: 'active' | 'revoked';
  jobId: string | null;
  createdAt: string;
}

/** The synchronous path's INSERT, a named statement: each connection parses and plans it once. */
const INSERT_CARDS = {
  name: 'card-generation-insert-cards',
  text: `INSERT INTO cards (id, bin, counter, last4, pan_hash, pan_ciphertext, expiry_month, expiry_year, job_id)
     SELECT *, $9::uuid FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::bytea[], $7::int[], $8::int[])`,
};

/** One multi-row INSERT (the synchronous path: at most 100 cards a request, a few requests together). */
export async function insertCards(
  client: pg.Pool | pg.PoolClient,
  cards: readonly MintedCard[],
  jobId: string | null = null,
): Promise<void> {
  await client.query({
    ...INSERT_CARDS,
    values: [
      cards.map((c) => c.id),
      cards.map((c) => c.bin),
      cards.map((c) => c.counter),
      cards.map((c) => c.last4),
      cards.map((c) => c.panKey),
      cards.map((c) => c.sealed),
      cards.map((c) => c.expiryMonth),
      cards.map((c) => c.expiryYear),
      jobId,
    ],
  });
}

interface CardRow {
  id: string;
  bin: string;
  network: string;
  pan_length: number;
  last4: string;
  expiry_month: number;
  expiry_year: number;
  status: 'active' | 'revoked';
  job_id: string | null;
  created_at: Date;
}

const CARD_COLUMNS = `c.id, c.bin, b.network, b.pan_length, c.last4, c.expiry_month, c.expiry_year, c.status, c.job_id, c.created_at`;

function toCard(r: CardRow): StoredCard {
  return {
    id: r.id,
    bin: r.bin,
    network: r.network,
    panLength: r.pan_length,
    last4: r.last4,
    expiryMonth: r.expiry_month,
    expiryYear: r.expiry_year,
    status: r.status,
    jobId: r.job_id,
    createdAt: r.created_at.toISOString(),
  };
}

export async function findCard(pool: pg.Pool, id: string): Promise<StoredCard | undefined> {
  const { rows } = await pool.query<CardRow>(`SELECT ${CARD_COLUMNS} FROM cards c JOIN card_bins b USING (bin) WHERE c.id = $1`, [id]);
  return rows[0] ? toCard(rows[0]) : undefined;
}

/** The card whose pan_hash is one of `panHashes` (the PAN's key, and the AES hash older releases stored). */
export async function findCardByPanHash(pool: pg.Pool, panHashes: readonly Buffer[]): Promise<StoredCard | undefined> {
  const { rows } = await pool.query<CardRow>(
    `SELECT ${CARD_COLUMNS} FROM cards c JOIN card_bins b USING (bin) WHERE c.pan_hash = ANY($1::bytea[]) LIMIT 1`,
    [panHashes],
  );
  return rows[0] ? toCard(rows[0]) : undefined;
}

/** Marks a card revoked; false when there is no such card. */
export async function revokeCard(pool: pg.Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(`UPDATE cards SET status = 'revoked' WHERE id = $1`, [id]);
  return (rowCount ?? 0) > 0;
}

export interface CardSearch {
  bin?: string;
  last4?: string;
  expiryMonth?: number;
  expiryYear?: number;
  status?: 'active' | 'revoked';
}

/** Equality search on any combination of the fields (with last4: the hash index of migration 0007; without: a scan). */
export async function searchCards(pool: pg.Pool, search: CardSearch, limit: number): Promise<StoredCard[]> {
  const columns: [string, unknown][] = [
    ['c.bin', search.bin],
    ['c.last4', search.last4],
    ['c.expiry_month', search.expiryMonth],
    ['c.expiry_year', search.expiryYear],
    ['c.status', search.status],
  ];
  const used = columns.filter(([, value]) => value !== undefined);
  const where = used.map(([column], i) => `${column} = $${i + 1}`).join(' AND ');
  const { rows } = await pool.query<CardRow>(
    `SELECT ${CARD_COLUMNS} FROM cards c JOIN card_bins b USING (bin) WHERE ${where} ORDER BY c.created_at DESC LIMIT ${Math.floor(limit)}`,
    used.map(([, value]) => value),
  );
  return rows.map(toCard);
}
