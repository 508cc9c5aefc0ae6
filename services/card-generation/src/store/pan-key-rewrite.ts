// Rows written by releases before the index key (pan-key.ts) carry the AES hash of the PAN (16 bytes)
// in pan_hash. `npm run migrate:data` rewrites them to the key, in batches along the primary key,
// so that UNIQUE (pan_hash) compares one format again. A row whose ciphertext does not open, or of a
// BIN not configured, is left as it is and counted (validate:uniqueness names it).
import type pg from 'pg';
import type { CardMinter } from '../cards/card-minter.ts';
import type { SandboxBin } from '../cards/sandbox-bins.ts';

export interface PanKeyRewrite {
  rewritten: number;
  skipped: number;
}

export async function rewriteLegacyPanHashes(
  pool: pg.Pool,
  minter: CardMinter,
  bins: readonly SandboxBin[],
  batchSize = 5_000,
): Promise<PanKeyRewrite> {
  const byBin = new Map(bins.map((b) => [b.bin, b]));
  const result: PanKeyRewrite = { rewritten: 0, skipped: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await pool.query<{ id: string; bin: string; pan_ciphertext: Buffer }>(
      'SELECT id, bin, pan_ciphertext FROM cards WHERE id > $1 AND octet_length(pan_hash) = 16 ORDER BY id LIMIT $2',
      [after, batchSize],
    );
    if (rows.length === 0) return result;
    after = rows[rows.length - 1].id;
    const opened = minter.crypto.open(rows.map((r) => r.pan_ciphertext));
    const ids: string[] = [];
    const keys: Buffer[] = [];
    rows.forEach((row, k) => {
      const bin = byBin.get(row.bin);
      const card = opened[k];
      if (!bin || !card || card.pan.length !== bin.panLength || !card.pan.startsWith(bin.bin)) {
        result.skipped++;
        return;
      }
      ids.push(row.id);
      keys.push(minter.panKey(bin, card.pan));
    });
    // A unique violation here is two rows of one PAN: the error stops the run (validate:uniqueness names them).
    const { rowCount } = await pool.query(
      `UPDATE cards c SET pan_hash = v.key FROM unnest($1::uuid[], $2::bytea[]) AS v(id, key)
        WHERE c.id = v.id AND octet_length(c.pan_hash) = 16`,
      [ids, keys],
    );
    result.rewritten += rowCount ?? 0;
  }
}
