// npm run bloom:sync [-- --json]: the guide's weekly "bloom filter sync" (the name its crontab uses),
// for the card search index that exists: since migration 0007 a hash index on last4, no longer the bloom
// index of 0005. REINDEX CONCURRENTLY rebuilds it compactly from the rows (an index keeps the entries
// of deleted rows, and its overflow pages, until then); then its size and validity are reported.
import { opsContext } from './ops-context.ts';

const INDEX = 'cards_last4_idx';
const ops = opsContext('bloom-sync');
const before = await ops.pool.query<{ bytes: string | null }>('SELECT pg_relation_size(to_regclass($1)) AS bytes', [INDEX]);
if (before.rows[0].bytes === null) {
  await ops.finish({ index: INDEX }, `index ${INDEX} does not exist: run the migrations first (npm run migrate)`, false);
} else {
  const startedAt = performance.now();
  await ops.pool.query(`REINDEX INDEX CONCURRENTLY ${INDEX}`);
  const durationMs = Math.round(performance.now() - startedAt);
  const after = await ops.pool.query<{ bytes: string; valid: boolean }>(
    `SELECT pg_relation_size(i.indexrelid) AS bytes, i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)`,
    [INDEX],
  );
  const result = {
    index: INDEX,
    bytesBefore: Number(before.rows[0].bytes),
    bytesAfter: Number(after.rows[0].bytes),
    valid: after.rows[0].valid,
    durationMs,
  };
  await ops.finish(result, `rebuilt ${INDEX}: ${result.bytesBefore} -> ${result.bytesAfter} bytes in ${durationMs} ms`, result.valid);
}
