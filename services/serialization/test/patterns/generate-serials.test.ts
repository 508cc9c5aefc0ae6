// Generation against a real PostgreSQL: 50 generators at once on one counter scope, some of whose
// requests roll back after taking their values. What commits is exactly 1..N, each value once,
// each with its audit event; the rolled-back values went back to the counter and nowhere else.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTransaction } from '../../src/db/with-transaction.ts';
import { verifyCheckCharacter } from '../../src/patterns/check-character.ts';
import { generateSerials } from '../../src/patterns/generate-serials.ts';
import { createPatternStore, type SerialPattern } from '../../src/patterns/pattern-store.ts';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.ts';

const actor = { subject: 'test', requestId: 'req' };

describe('serial generation (PostgreSQL)', () => {
  let db: TestDatabase;
  let pattern: SerialPattern;

  before(async () => {
    db = await createMigratedDatabase('generate', 20);
    const created = await createPatternStore(db.pool).create(
      {
        id: 'unit',
        name: 'units',
        template: 'U{PART}{YY}{SEQ:6}{CHECK}',
        partId: null,
        sequenceBase: 36,
        sequenceMin: 1,
        sequenceMax: 36 ** 6 - 1,
        incrementBy: 1,
        resetRule: 'yearly',
        checkAlgorithm: 'iso7064-mod37-2',
      },
      actor,
    );
    assert.ok(created.ok);
    pattern = created.pattern;
  });
  after(() => db?.drop());

  test('50 concurrent generators, every fifth rolled back: gapless, unique, each audited once', async () => {
    const date = new Date('2026-06-01T00:00:00Z');
    class Abandon extends Error {}
    const runs = Array.from({ length: 50 }, async (_, index) => {
      const count = 1 + (index % 7);
      try {
        return await withTransaction(db.pool, async (client) => {
          const result = await generateSerials(client, {
            pattern,
            partId: 'P1',
            count,
            scope: 'part',
            date,
            actor,
            batchSize: 3,
            auditBatchSize: 2,
          });
          assert.ok(result.ok);
          // A request that fails after taking its values (a later step of it throws).
          if (index % 5 === 4) throw new Abandon(result.serials.map((s) => s.sequenceValue).join(','));
          return result.serials;
        });
      } catch (error) {
        if (error instanceof Abandon) return null;
        throw error;
      }
    });
    const results = await Promise.all(runs);
    const committed = results.filter((r) => r !== null).flat();
    const expected = results.reduce((sum, r) => sum + (r?.length ?? 0), 0);
    assert.equal(committed.length, expected);
    const values = committed.map((s) => s.sequenceValue).sort((a, b) => a - b);
    assert.deepEqual(
      values,
      Array.from({ length: expected }, (_, i) => i + 1),
      'the committed sequence is 1..N',
    );
    assert.equal(new Set(committed.map((s) => s.serialNumber)).size, expected, 'no serial twice');
    for (const serial of committed) assert.ok(verifyCheckCharacter('iso7064-mod37-2', serial.serialNumber), serial.serialNumber);

    const rows = await db.pool.query<{ n: number; max: string }>(
      "SELECT count(*)::int AS n, max(sequence_value) AS max FROM system_generated_serials WHERE part_id = 'P1'",
    );
    assert.equal(rows.rows[0].n, expected);
    assert.equal(Number(rows.rows[0].max), expected);
    const counter = await db.pool.query<{ next_value: string }>(
      "SELECT next_value FROM serial_counters WHERE pattern_id = 'unit' AND scope_key = 'P1@2026'",
    );
    assert.equal(Number(counter.rows[0].next_value), expected + 1, 'the rolled-back values went back to the counter');
    const audit = await db.pool.query<{ sequence: string; listed: string }>(
      `SELECT s->>'sequence' AS sequence, (s->>'id') || ' ' || (s->>'serialNumber') AS listed
         FROM audit_events, jsonb_array_elements(after_state->'serials') AS s
        WHERE event_type = 'system_serials:generated' AND part_id = 'P1'`,
    );
    assert.deepEqual(
      audit.rows.map((r) => Number(r.sequence)).sort((a, b) => a - b),
      values,
      'each committed serial listed once in the audit events of its batches, no rolled-back one',
    );
    assert.deepEqual(
      audit.rows.map((r) => r.listed).sort(),
      committed.map((s) => `${s.id} ${s.serialNumber}`).sort(),
      'the events list each serial with its id',
    );
    const registered = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM serials s JOIN system_generated_serials g USING (id) WHERE s.id = ANY ($1::uuid[]) AND s.serial_number = g.serial_number',
      [committed.map((s) => s.id)],
    );
    assert.equal(registered.rows[0].n, expected, 'registry and generated rows share the returned ids');
    for (const serial of committed)
      assert.match(serial.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID version 7');
    const chain = await db.pool.query('SELECT * FROM audit_verify_chain()');
    assert.deepEqual(chain.rows, [], 'the hash chain is intact after concurrent writers');
  });

  test('an exhausted pattern refuses and writes nothing; it never wraps', async () => {
    const small = await createPatternStore(db.pool).create(
      {
        id: 'small',
        name: 'small',
        template: 'S{SEQ:1}',
        partId: null,
        sequenceBase: 10,
        sequenceMin: 1,
        sequenceMax: 5,
        incrementBy: 1,
        resetRule: 'never',
        checkAlgorithm: null,
      },
      actor,
    );
    assert.ok(small.ok);
    const run = (count: number) =>
      withTransaction(db.pool, (client) =>
        generateSerials(client, {
          pattern: small.pattern,
          partId: 'P2',
          count,
          scope: 'global',
          actor,
          batchSize: 100,
          auditBatchSize: 500,
        }),
      );
    const first = await run(3);
    assert.ok(first.ok);
    assert.deepEqual(
      first.serials.map((s) => s.serialNumber),
      ['S1', 'S2', 'S3'],
    );
    const refused = await run(3);
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? '' : refused.code, 'pattern_exhausted');
    assert.equal(refused.ok ? 0 : refused.extra?.remaining, 2);
    const last = await run(2);
    assert.ok(last.ok);
    assert.deepEqual(
      last.serials.map((s) => s.serialNumber),
      ['S4', 'S5'],
    );
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM system_generated_serials WHERE pattern_id = 'small'");
    assert.equal(rows[0].n, 5);
  });

  test('a generated serial that a vendor serial already holds in scope is refused, nothing kept', async () => {
    const clash = await createPatternStore(db.pool).create(
      {
        id: 'clash',
        name: 'clash',
        template: 'V{SEQ:3}',
        partId: null,
        sequenceBase: 10,
        sequenceMin: 1,
        sequenceMax: 999,
        incrementBy: 1,
        resetRule: 'never',
        checkAlgorithm: null,
      },
      actor,
    );
    assert.ok(clash.ok);
    await db.pool.query(
      "INSERT INTO serials (source, serial_number, normalized_serial, part_id, vendor_key, scope_type, scope_key) VALUES ('vendor', 'v002', 'V002', 'P3', 'acme', 'part', 'P3')",
    );
    const result = await withTransaction(db.pool, (client) =>
      generateSerials(client, { pattern: clash.pattern, partId: 'P3', count: 5, scope: 'part', actor, batchSize: 2, auditBatchSize: 500 }),
    );
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.code, 'serial_duplicate_in_scope');
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM system_generated_serials WHERE pattern_id = 'clash'");
    assert.equal(rows[0].n, 0);
    const counter = await db.pool.query("SELECT count(*)::int AS n FROM serial_counters WHERE pattern_id = 'clash'");
    assert.equal(counter.rows[0].n, 0, 'the counter row itself rolled back');
  });

  test('generated rows reference a registry serial and a pattern (migration 0009): SQL by hand cannot break either', async () => {
    const { rows } = await db.pool.query<{ id: string; pattern_id: string }>('SELECT id, pattern_id FROM system_generated_serials LIMIT 1');
    const { id, pattern_id: patternId } = rows[0];
    const insert = (serialId: string, pattern: string) =>
      db.pool.query(
        `INSERT INTO system_generated_serials (id, serial_number, part_id, pattern_id, counter_scope, sequence_value, generated_by)
         VALUES ($1, 'X', 'P', $2, 'hand', 1, 'sql')`,
        [serialId, pattern],
      );
    await assert.rejects(insert('00000000-0000-7000-8000-000000000000', patternId), { code: '23503' });
    const { rows: free } = await db.pool.query<{ id: string }>(
      "INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key) VALUES ('system', 'HAND1', 'HAND1', 'P', 'part', 'P') RETURNING id",
    );
    await assert.rejects(insert(free[0].id, 'no-such-pattern'), { code: '23503' });
    await assert.rejects(db.pool.query("UPDATE system_generated_serials SET pattern_id = 'no-such-pattern' WHERE id = $1", [id]), {
      code: '23503',
    });
    await assert.rejects(db.pool.query('DELETE FROM serials WHERE id = $1', [id]), { code: '23503' });
    await assert.rejects(db.pool.query('UPDATE serials SET id = gen_random_uuid() WHERE id = $1', [id]), { code: '23503' });
    await assert.rejects(db.pool.query('DELETE FROM serial_patterns WHERE id = $1', [patternId]), { code: '23503' });
    await assert.rejects(db.pool.query('TRUNCATE serials CASCADE'), { code: '23503' });
    await assert.rejects(db.pool.query('TRUNCATE serial_patterns CASCADE'), { code: '23503' });
    await db.pool.query('DELETE FROM serials WHERE id = $1', [free[0].id]);
  });

  test('an insert holds the serial it references until it commits: a racing delete waits, then is refused', async () => {
    const { rows: pattern } = await db.pool.query<{ pattern_id: string }>('SELECT pattern_id FROM system_generated_serials LIMIT 1');
    const { rows: free } = await db.pool.query<{ id: string }>(
      "INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key) VALUES ('system', 'HAND2', 'HAND2', 'P', 'part', 'P') RETURNING id",
    );
    const inserter = await db.pool.connect();
    const deleter = await db.pool.connect();
    try {
      await inserter.query('BEGIN');
      await inserter.query(
        `INSERT INTO system_generated_serials (id, serial_number, part_id, pattern_id, counter_scope, sequence_value, generated_by)
         VALUES ($1, 'HAND2', 'P', $2, 'hand', 1, 'sql')`,
        [free[0].id, pattern[0].pattern_id],
      );
      // Not committed yet: the delete cannot see the generated row, but it must not get past the lock.
      await deleter.query("SET lock_timeout = '300ms'");
      await assert.rejects(deleter.query('DELETE FROM serials WHERE id = $1', [free[0].id]), { code: '55P03' });
      await assert.rejects(deleter.query('DELETE FROM serial_patterns WHERE id = $1', [pattern[0].pattern_id]), { code: '55P03' });
      await inserter.query('COMMIT');
      await assert.rejects(deleter.query('DELETE FROM serials WHERE id = $1', [free[0].id]), { code: '23503' });
    } finally {
      await inserter.query('ROLLBACK').catch(() => undefined);
      inserter.release();
      deleter.release();
    }
    await db.pool.query('DELETE FROM system_generated_serials WHERE id = $1', [free[0].id]);
    await db.pool.query('DELETE FROM serials WHERE id = $1', [free[0].id]);
  });
});
