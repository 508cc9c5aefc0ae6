import type pg from 'pg';
import type { SandboxBin } from '../cards/sandbox-bins.ts';

export interface BinRow {
  bin: string;
  network: string;
  panLength: number;
  capacity: number;
  nextCounter: number;
}

/** A block of counters [start, end) taken from a BIN. */
export interface CounterBlock {
  start: number;
  end: number;
}

/**
 * Writes the configured BINs (new ones start at counter 0) and refuses to start when a BIN already
 * recorded differs in network or PAN length: its counters would then map to other PANs.
 * Returns the problems found, empty when all is well.
 */
export async function syncBins(pool: pg.Pool, bins: readonly SandboxBin[]): Promise<string[]> {
  await pool.query(
    `INSERT INTO card_bins (bin, network, pan_length, capacity)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[])
     ON CONFLICT (bin) DO NOTHING`,
    [bins.map((b) => b.bin), bins.map((b) => b.network), bins.map((b) => b.panLength), bins.map((b) => b.capacity)],
  );
  const rows = await listBins(pool);
  const problems: string[] = [];
  for (const bin of bins) {
    const row = rows.find((r) => r.bin === bin.bin);
    if (row && (row.network !== bin.network || row.panLength !== bin.panLength))
      problems.push(
        `BIN ${bin.bin} is recorded as ${row.network} with ${row.panLength}-digit PANs, configured as ${bin.network} with ${bin.panLength}: change SANDBOX_BINS back`,
      );
  }
  return problems;
}

export async function listBins(pool: pg.Pool): Promise<BinRow[]> {
  const { rows } = await pool.query<{ bin: string; network: string; pan_length: number; capacity: string; next_counter: string }>(
    'SELECT bin, network, pan_length, capacity, next_counter FROM card_bins ORDER BY bin',
  );
  return rows.map((r) => ({
    bin: r.bin,
    network: r.network,
    panLength: r.pan_length,
    capacity: Number(r.capacity),
    nextCounter: Number(r.next_counter),
  }));
}

/** Up to `wanted` counters from the BIN (fewer when it is nearly full); undefined when it is full. */
export async function reserveUpTo(pool: pg.Pool | pg.PoolClient, bin: string, wanted: number): Promise<CounterBlock | undefined> {
  const { rows } = await pool.query<{ start: string; end: string }>(
    `UPDATE card_bins b SET next_counter = LEAST(b.capacity, b.next_counter + $2)
       FROM (SELECT bin, next_counter FROM card_bins WHERE bin = $1 FOR UPDATE) old
      WHERE b.bin = old.bin AND b.next_counter < b.capacity
     RETURNING old.next_counter AS start, b.next_counter AS end`,
    [bin, wanted],
  );
  return rows[0] ? { start: Number(rows[0].start), end: Number(rows[0].end) } : undefined;
}

/** Exactly `count` counters or none (a bulk job's block); `left` says how many the BIN still has. */
export async function reserveExactly(
  client: pg.Pool | pg.PoolClient,
  bin: string,
  count: number,
): Promise<{ ok: true; block: CounterBlock } | { ok: false; left: number }> {
  const { rows } = await client.query<{ end: string }>(
    `UPDATE card_bins SET next_counter = next_counter + $2
      WHERE bin = $1 AND next_counter + $2 <= capacity
     RETURNING next_counter AS end`,
    [bin, count],
  );
  if (rows[0]) {
    const end = Number(rows[0].end);
    return { ok: true, block: { start: end - count, end } };
  }
  const left = await client.query<{ left: string }>('SELECT capacity - next_counter AS left FROM card_bins WHERE bin = $1', [bin]);
  return { ok: false, left: Number(left.rows[0]?.left ?? 0) };
}

/** Cards written per BIN (a scan of the table: cached by the caller, BIN_STATS_TTL_MS). */
export async function issuedPerBin(pool: pg.Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ bin: string; issued: string }>('SELECT bin, count(*) AS issued FROM cards GROUP BY bin');
  return new Map(rows.map((r) => [r.bin, Number(r.issued)]));
}
