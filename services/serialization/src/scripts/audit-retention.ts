// The audit retention task: creates the coming months' partitions and drops the month partitions
// past AUDIT_RETENTION_DAYS (whole partitions: rows are never deleted). Scheduled daily.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import pg from 'pg';
import { serializationEnvSchema } from '../config/serialization-config.ts';

const config = loadEnvConfigOrExit('serialization audit retention', serializationEnvSchema);
const client = new pg.Client({ connectionString: config.DATABASE_URL });
await client.connect();
try {
  const created = await client.query<{ n: number }>('SELECT audit_ensure_partitions(3) AS n');
  const dropped = await client.query<{ name: string }>('SELECT audit_drop_expired_partitions($1) AS name', [config.AUDIT_RETENTION_DAYS]);
  console.log(
    `audit retention (${config.AUDIT_RETENTION_DAYS} days): ${created.rows[0].n} partition(s) created, dropped ${dropped.rows.length === 0 ? 'none' : dropped.rows.map((r) => r.name).join(', ')}`,
  );
} finally {
  await client.end();
}
