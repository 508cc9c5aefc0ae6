// The migrations as cutover applies them: the linter passes them, `up` creates the guide's tables
// and every one of its indexes (valid: the CONCURRENTLY builds finished), and `down` reverts all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GUIDE_INDEXES, GUIDE_TABLES } from '../src/scripts/guide-schema.ts';
import { createTestDatabase, cutoverMigrate, type TestDatabase } from './support/test-database.ts';

describe('migrations (cutover migrate)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('migrations');
  });
  after(() => db?.drop());

  test('lint: no blocking finding in any migration', async () => {
    const lint = await cutoverMigrate(db.url, ['lint', '--all']);
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /0 blocking/);
  });

  test('up creates the guide tables and indexes, the CONCURRENTLY ones valid; down removes them', async () => {
    const up = await cutoverMigrate(db.url, ['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const tables = await db.pool.query<{ relname: string }>(
      "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND relname = ANY($1)",
      [GUIDE_TABLES],
    );
    assert.deepEqual(tables.rows.map((r) => r.relname).sort(), [...GUIDE_TABLES].sort());
    const indexes = await db.pool.query<{ relname: string; valid: boolean }>(
      `SELECT c.relname, coalesce(i.indisvalid, true) AS valid FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.relkind IN ('i', 'I') AND c.relname = ANY($1)`,
      [GUIDE_INDEXES],
    );
    assert.deepEqual(indexes.rows.map((r) => r.relname).sort(), [...GUIDE_INDEXES].sort());
    assert.ok(
      indexes.rows.every((r) => r.valid),
      'every index is valid',
    );
    const partitions = await db.pool.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass");
    assert.ok(partitions.rows[0].n >= 4, 'this month and three ahead');

    const status = await cutoverMigrate(db.url, ['status']);
    assert.equal(status.code, 0, status.stdout);

    const down = await cutoverMigrate(db.url, ['down', '--steps', '10']);
    assert.equal(down.code, 0, down.stdout + down.stderr);
    const left = await db.pool.query(
      "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)",
      [GUIDE_TABLES],
    );
    assert.equal(left.rows[0].n, 0);
  });
});
