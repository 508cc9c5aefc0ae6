// The database refuses what the state machine refuses, even when the application is bypassed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { IDEMPOTENCY_MIGRATION_PATH } from '@cutover/service-kit';
import type pg from 'pg';
import { PAYMENTS_DIR } from '../../test/support/paths.ts';
import { createTestDatabase, migrate, type TestDatabase } from '../../test/support/test-database.ts';

describe('payments schema constraints (PostgreSQL)', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase('payments_constraints');
    await migrate('payments', db.url);
  });
  after(() => db?.drop());

  async function capturedPayment(amount = 1000): Promise<string> {
    const id = randomUUID();
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        "INSERT INTO payments (id, owner, amount, currency, status, captured_amount) VALUES ($1, 'o', $2, 'EUR', 'captured', $2)",
        [id, amount],
      );
      await client.query(
        "INSERT INTO payment_operations (payment_id, kind, amount, from_status, to_status) VALUES ($1, 'capture', $2, 'authorized', 'captured')",
        [id, amount],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return id;
  }

  async function inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  const violation = (code: string, constraint?: string) => (error: { code?: string; constraint?: string }) =>
    error.code === code && (constraint === undefined || error.constraint === constraint);

  test('a second capture of a payment is a unique violation', async () => {
    const id = await capturedPayment();
    await assert.rejects(
      db.pool.query(
        "INSERT INTO payment_operations (payment_id, kind, amount, from_status, to_status) VALUES ($1, 'capture', 1, 'captured', 'captured')",
        [id],
      ),
      violation('23505', 'payment_operations_one_capture'),
    );
  });

  test('refunds beyond the captured amount are refused on the payment row', async () => {
    const id = await capturedPayment(1000);
    await assert.rejects(
      db.pool.query("UPDATE payments SET status = 'refunded', refunded_amount = 1001 WHERE id = $1", [id]),
      violation('23514', 'payments_refunded_range'),
    );
  });

  test('refund rows that do not add up to the payment are refused at commit', async () => {
    const id = await capturedPayment(1000);
    // The payment says 500 was refunded, the ledger gets 600: the deferred trigger refuses the commit.
    await assert.rejects(
      inTransaction(async (client) => {
        await client.query("UPDATE payments SET status = 'partially_refunded', refunded_amount = 500 WHERE id = $1", [id]);
        await client.query(
          "INSERT INTO payment_operations (payment_id, kind, amount, from_status, to_status) VALUES ($1, 'refund', 600, 'captured', 'partially_refunded')",
          [id],
        );
      }),
      violation('23514'),
    );
    // An extra refund row alone, without touching the payment, is refused too.
    await assert.rejects(
      db.pool.query(
        "INSERT INTO payment_operations (payment_id, kind, amount, from_status, to_status) VALUES ($1, 'refund', 1, 'captured', 'captured')",
        [id],
      ),
      violation('23514'),
    );
    const { rows } = await db.pool.query('SELECT status, refunded_amount FROM payments WHERE id = $1', [id]);
    assert.deepEqual(rows[0], { status: 'captured', refunded_amount: '0' });
  });

  test('status must agree with the amounts, and be one of the six states', async () => {
    const insert = (status: string, captured: number, refunded: number) =>
      db.pool.query(
        "INSERT INTO payments (id, owner, amount, currency, status, captured_amount, refunded_amount) VALUES ($1, 'o', 100, 'EUR', $2, $3, $4)",
        [randomUUID(), status, captured, refunded],
      );
    await assert.rejects(insert('captured', 0, 0), violation('23514', 'payments_status_amounts'));
    await assert.rejects(insert('authorized', 50, 0), violation('23514', 'payments_status_amounts'));
    await assert.rejects(insert('refunded', 100, 50), violation('23514', 'payments_status_amounts'));
    await assert.rejects(insert('settled', 0, 0), violation('23514', 'payments_status_known'));
    await assert.rejects(
      db.pool.query("INSERT INTO payments (id, owner, amount, currency) VALUES ($1, 'o', 0, 'EUR')", [randomUUID()]),
      violation('23514', 'payments_amount_positive'),
    );
    await assert.rejects(
      db.pool.query("INSERT INTO payments (id, owner, amount, currency) VALUES ($1, 'o', 1, 'euro')", [randomUUID()]),
      violation('23514', 'payments_currency_code'),
    );
  });

  test('the operations ledger is append-only', async () => {
    const id = await capturedPayment();
    await assert.rejects(db.pool.query('DELETE FROM payment_operations WHERE payment_id = $1', [id]), /append-only/);
    await assert.rejects(db.pool.query('UPDATE payment_operations SET amount = 1 WHERE payment_id = $1', [id]), /append-only/);
  });

  test('the idempotency migration is the service kit one, unchanged', () => {
    assert.equal(
      readFileSync(`${PAYMENTS_DIR}migrations/0001_idempotency_keys.sql`, 'utf8'),
      readFileSync(IDEMPOTENCY_MIGRATION_PATH, 'utf8'),
    );
  });
});
