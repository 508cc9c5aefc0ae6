// The audit trail in the database itself: UPDATE, DELETE and TRUNCATE fail in SQL, a row changed
// behind the triggers' back breaks the hash chain where it was changed, and retention removes
// whole month partitions past AUDIT_RETENTION_DAYS and nothing younger.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeAudit } from '../../src/audit/audit-writer.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';

describe('audit trail (PostgreSQL)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createMigratedDatabase('audit', 4);
    await writeAudit(
      db.pool,
      Array.from({ length: 7 }, (_, i) => ({
        eventType: 'vendor_serial:received',
        entityType: 'vendor_serial' as const,
        serialNumber: `A${i}`,
        partId: 'PA',
        performedBy: 'tester',
        after: { status: 'received', i },
      })),
      3,
    );
  });
  after(() => db?.drop());

  test('events are chained in order from the chain head', async () => {
    const { rows } = await db.pool.query<{ chain_seq: string; prev_hash: string; hash: string }>(
      "SELECT chain_seq, prev_hash, hash FROM audit_events WHERE part_id = 'PA' ORDER BY chain_seq",
    );
    assert.equal(rows.length, 7);
    for (let i = 1; i < rows.length; i++) {
      assert.equal(Number(rows[i].chain_seq), Number(rows[i - 1].chain_seq) + 1);
      assert.equal(rows[i].prev_hash, rows[i - 1].hash);
    }
    assert.deepEqual((await db.pool.query('SELECT * FROM audit_verify_chain()')).rows, []);
  });

  test('the chain head is written once per statement and holds across statements, partitions and forged settings', async () => {
    const head = async () =>
      (await db.pool.query<{ last_seq: string; last_hash: string }>('SELECT last_seq, last_hash FROM audit_chain_head')).rows[0];
    const newest = async () =>
      (await db.pool.query<{ chain_seq: string; hash: string }>('SELECT chain_seq, hash FROM audit_events ORDER BY chain_seq DESC LIMIT 1'))
        .rows[0];
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      // Another transaction's state, or one forged with SET LOCAL, carries the wrong transaction id: ignored.
      await client.query("SELECT set_config('audit.chain_state', '1|0|forged', true)");
      await client.query(
        "INSERT INTO audit_events (event_type, entity_type, performed_by, part_id) SELECT 'system:probe', 'system', 't', 'PH' FROM generate_series(1, 5)",
      );
      const partition = (
        await client.query<{ name: string }>(
          "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1 LIMIT 1",
        )
      ).rows[0].name;
      await client.query('SAVEPOINT s');
      await client.query(
        "INSERT INTO audit_events (event_type, entity_type, performed_by, part_id) VALUES ('system:probe', 'system', 't', 'PH')",
      );
      await client.query('ROLLBACK TO SAVEPOINT s');
      // Straight into this month's partition (its own statement trigger writes the head).
      await client.query(
        `INSERT INTO ${client.escapeIdentifier(partition)} (event_type, entity_type, performed_by, part_id, chain_seq, prev_hash, hash) VALUES ('system:probe', 'system', 't', 'PH', 0, '', '')`,
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await writeAudit(db.pool, [{ eventType: 'system:probe', entityType: 'system', performedBy: 't', partId: 'PH' }]);
    const [h, n] = [await head(), await newest()];
    assert.equal(h.last_seq, n.chain_seq);
    assert.equal(h.last_hash, n.hash);
    const { rows } = await db.pool.query<{ n: number; seqs: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT chain_seq)::int AS seqs FROM audit_events WHERE part_id = 'PH'",
    );
    assert.deepEqual(rows[0], { n: 7, seqs: 7 });
    assert.deepEqual((await db.pool.query('SELECT * FROM audit_verify_chain()')).rows, []);
  });

  test('a month partition made later by audit_ensure_partitions gets the statement trigger that writes the head', async () => {
    const created = await db.pool.query<{ n: number }>('SELECT audit_ensure_partitions(6) AS n');
    assert.ok(created.rows[0].n > 0, 'the migrations made partitions only up to 3 months ahead');
    const partition = (
      await db.pool.query<{ name: string }>(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1 DESC LIMIT 1",
      )
    ).rows[0].name;
    assert.match(partition, /^audit_events_\d{6}$/);
    // Straight into the new partition: only its own statement trigger can write the head.
    await db.pool.query(
      `INSERT INTO ${partition} (performed_at, event_type, entity_type, performed_by, part_id, chain_seq, prev_hash, hash)
       VALUES ((to_date(right($1, 6), 'YYYYMM') + 1)::timestamp AT TIME ZONE 'UTC', 'system:probe', 'system', 't', 'PN', 0, '', '')`,
      [partition],
    );
    const head = (await db.pool.query<{ last_seq: string }>('SELECT last_seq FROM audit_chain_head')).rows[0];
    const newest = (await db.pool.query<{ chain_seq: string }>("SELECT chain_seq FROM audit_events WHERE part_id = 'PN'")).rows[0];
    assert.equal(head.last_seq, newest.chain_seq);
    assert.deepEqual((await db.pool.query('SELECT * FROM audit_verify_chain()')).rows, []);
  });

  test('UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await assert.rejects(db.pool.query("UPDATE audit_events SET reason = 'edited' WHERE part_id = 'PA'"), /append-only: UPDATE refused/);
    await assert.rejects(db.pool.query("DELETE FROM audit_events WHERE part_id = 'PA'"), /append-only: DELETE refused/);
    await assert.rejects(db.pool.query('TRUNCATE audit_events'), /append-only: TRUNCATE refused/);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM audit_events WHERE part_id = 'PA' AND reason IS NULL");
    assert.equal(rows[0].n, 7);
  });

  test('a row edited with the triggers bypassed breaks the chain at that row', async () => {
    const client = await db.pool.connect();
    try {
      const { rows } = await client.query<{ chain_seq: string }>("SELECT chain_seq FROM audit_events WHERE serial_number = 'A3'");
      // Only a superuser can do this (session_replication_role skips ordinary triggers).
      await client.query('SET session_replication_role = replica');
      await client.query('UPDATE audit_events SET after_state = \'{"status":"accepted"}\' WHERE serial_number = \'A3\'');
      await client.query('SET session_replication_role = DEFAULT');
      const broken = await client.query<{ chain_seq: string; problem: string }>('SELECT * FROM audit_verify_chain()');
      assert.deepEqual(broken.rows, [{ chain_seq: rows[0].chain_seq, problem: 'hash does not match the event' }]);
    } finally {
      client.release();
    }
  });

  test('retention drops whole month partitions older than the retention, and keeps the others', async () => {
    await db.pool.query(
      "CREATE TABLE audit_events_201001 PARTITION OF audit_events FOR VALUES FROM ('2010-01-01 00:00+00') TO ('2010-02-01 00:00+00')",
    );
    await db.pool.query(
      "INSERT INTO audit_events (performed_at, event_type, entity_type, performed_by) VALUES ('2010-01-15 12:00+00', 'system:old', 'system', 'tester')",
    );
    const before = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass",
    );
    const dropped = await db.pool.query<{ name: string }>('SELECT audit_drop_expired_partitions(2555) AS name');
    assert.deepEqual(dropped.rows, [{ name: 'audit_events_201001' }]);
    const afterCount = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass",
    );
    assert.equal(afterCount.rows[0].n, before.rows[0].n - 1);
    const kept = await db.pool.query("SELECT count(*)::int AS n FROM audit_events WHERE part_id = 'PA'");
    assert.equal(kept.rows[0].n, 7);
    await assert.rejects(db.pool.query('SELECT audit_drop_expired_partitions(0)'), /at least 1/);
  });
});
