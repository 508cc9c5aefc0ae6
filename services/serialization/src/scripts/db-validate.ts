// The guide's `npm run db:validate`: every table and index of the guide exists and is valid, the
// coming audit partitions exist, and the audit hash chain is intact. Exit 1 naming what is wrong.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import pg from 'pg';
import { serializationEnvSchema } from '../config/serialization-config.ts';
import { GUIDE_INDEXES, GUIDE_TABLES } from './guide-schema.ts';

const config = loadEnvConfigOrExit('serialization db:validate', serializationEnvSchema);
const client = new pg.Client({ connectionString: config.DATABASE_URL });
await client.connect();
const problems: string[] = [];
try {
  const tables = await client.query<{ relname: string }>(
    "SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname = ANY ($1)",
    [GUIDE_TABLES],
  );
  for (const table of GUIDE_TABLES) if (!tables.rows.some((r) => r.relname === table)) problems.push(`table ${table} is missing`);
  const indexes = await client.query<{ relname: string; valid: boolean }>(
    "SELECT c.relname, coalesce(i.indisvalid, true) AS valid FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relkind IN ('i', 'I') AND c.relname = ANY ($1)",
    [GUIDE_INDEXES],
  );
  for (const index of GUIDE_INDEXES) {
    const row = indexes.rows.find((r) => r.relname === index);
    if (!row) problems.push(`index ${index} is missing`);
    else if (!row.valid) problems.push(`index ${index} is INVALID (a CONCURRENTLY build did not finish): cutover migrate up rebuilds it`);
  }
  const next = await client.query<{ name: string }>(
    "SELECT to_regclass('audit_events_' || to_char(now() AT TIME ZONE 'UTC' + interval '1 month', 'YYYYMM'))::text AS name",
  );
  if (next.rows[0].name === null) problems.push("next month's audit partition is missing: npm run audit:retention creates it");
  const chain = await client.query<{ chain_seq: string; problem: string }>('SELECT * FROM audit_verify_chain()');
  if (chain.rows[0]) problems.push(`audit chain broken at event ${chain.rows[0].chain_seq}: ${chain.rows[0].problem}`);
} finally {
  await client.end();
}
if (problems.length > 0) {
  console.error(`db:validate found ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`db:validate: ${GUIDE_TABLES.length} tables, ${GUIDE_INDEXES.length} indexes valid, audit partitions ready, hash chain intact`);
