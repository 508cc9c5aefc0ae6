// The guide's `npm run db:seed:production`: default pattern templates, the trigger types, the admin
// account (ADMIN_USERNAME / ADMIN_PASSWORD) and the first audit entries. Idempotent: each run adds
// only what is missing, so cutover runs it before every switch (hooks.preSwitch).
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import { hashPassword } from '../auth/password-hash.ts';
import { serializationEnvSchema } from '../config/serialization-config.ts';
import { withTransaction } from '../db/with-transaction.ts';
import { insertPattern } from '../patterns/pattern-store.ts';
import { DEFAULT_PATTERNS, DEFAULT_TRIGGER_TYPES } from './seed-data.ts';

const config = loadEnvConfigOrExit('serialization seed', serializationEnvSchema);
const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
const actor = { subject: 'seed', requestId: `seed-${process.env.CUTOVER_DEPLOYMENT_ID ?? 'manual'}` };
try {
  const summary = await withTransaction(pool, async (client) => {
    // One seed at a time (two deploys never run together, but a manual run might).
    await client.query("SELECT pg_advisory_xact_lock(hashtext('serialization-seed'))");
    const first = await client.query("SELECT 1 FROM audit_events WHERE event_type = 'system:seeded' LIMIT 1");
    let patterns = 0;
    for (const pattern of DEFAULT_PATTERNS) {
      const result = await insertPattern(client, pattern, actor);
      if (!result.ok) throw new Error(result.detail);
      if (result.created) patterns++;
    }
    let admin = false;
    if (config.ADMIN_PASSWORD !== '') {
      const inserted = await client.query(
        "INSERT INTO service_accounts (username, password_hash, roles) VALUES ($1, $2, '{admin}') ON CONFLICT (username) DO NOTHING RETURNING username",
        [config.ADMIN_USERNAME, await hashPassword(config.ADMIN_PASSWORD)],
      );
      admin = inserted.rows.length > 0;
      if (admin) {
        await writeAudit(client, [
          {
            eventType: 'account:created',
            entityType: 'account',
            entityId: config.ADMIN_USERNAME,
            performedBy: 'seed',
            after: { roles: ['admin'] },
            requestId: actor.requestId,
          },
        ]);
      }
    }
    if (first.rows.length === 0) {
      await writeAudit(client, [
        {
          eventType: 'system:seeded',
          entityType: 'system',
          performedBy: 'seed',
          reason: 'initial seed of the serialization service',
          after: {
            triggerTypes: DEFAULT_TRIGGER_TYPES,
            patterns: DEFAULT_PATTERNS.map((p) => p.id),
            retentionDays: config.AUDIT_RETENTION_DAYS,
          },
          requestId: actor.requestId,
        },
      ]);
    }
    return { patternsCreated: patterns, adminCreated: admin, firstSeed: first.rows.length === 0 };
  });
  console.log(`seed: ${JSON.stringify(summary)}`);
  if (config.ADMIN_PASSWORD === '') console.log('seed: ADMIN_PASSWORD is empty, no admin account created');
} finally {
  await pool.end();
}
