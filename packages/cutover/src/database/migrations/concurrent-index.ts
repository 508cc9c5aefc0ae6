import type pg from 'pg';

export type IndexValidity = 'missing' | 'valid' | 'invalid';

/** Whether an index exists and, if so, whether a CONCURRENTLY build finished (pg_index.indisvalid). */
export async function indexValidity(client: pg.ClientBase, indexName: string): Promise<IndexValidity> {
  const { rows } = await client.query<{ valid: boolean | null }>(
    'select (select indisvalid from pg_index where indexrelid = to_regclass($1)) as valid, to_regclass($1) is not null as present',
    [indexName],
  );
  if (rows[0].valid === null) return 'missing';
  return rows[0].valid ? 'valid' : 'invalid';
}

/**
 * Drops the INVALID leftover of a cancelled or failed CONCURRENTLY build. Never trust
 * IF NOT EXISTS here: it would "succeed" on the invalid index and leave it unusable.
 * `indexName` is as written in the migration (quoted parts stay quoted).
 */
export function buildDropInvalidIndex(indexName: string): string {
  return `drop index concurrently if exists ${indexName}`;
}
