import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { decideTransition, type PaymentCommand, type PaymentStatus, type TransitionDecision } from './payment-state-machine.ts';

export interface Payment {
  id: string;
  /** Position in creation order; list cursors are built on it. */
  seq: number;
  owner: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  capturedAmount: number;
  refundedAmount: number;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PaymentOperation {
  id: string;
  kind: PaymentCommand['kind'];
  amount: number;
  fromStatus: PaymentStatus;
  toStatus: PaymentStatus;
  createdAt: Date;
}

export interface NewPayment {
  owner: string;
  amount: number;
  currency: string;
  description: string | null;
  idempotencyKey: string | null;
}

export type CreateOutcome =
  | { outcome: 'created'; payment: Payment }
  /** The owner already made a payment with this idempotency key and the same content. */
  | { outcome: 'existing'; payment: Payment }
  /** The key was used for a payment with other content. */
  | { outcome: 'key_reused'; payment: Payment };

export type TransitionOutcome =
  | { outcome: 'applied'; payment: Payment; operation: PaymentOperation }
  | { outcome: 'not_found' }
  | { outcome: 'refused'; decision: Extract<TransitionDecision, { ok: false }> }
  /** A database constraint refused the change (a concurrent writer won); the state machine never saw it. */
  | { outcome: 'conflict'; constraint: string };

export interface PaymentPage {
  payments: Payment[];
  /** seq of the last payment returned when more follow, else null. */
  nextAfterSeq: number | null;
}

export interface PaymentStore {
  create(input: NewPayment): Promise<CreateOutcome>;
  get(owner: string, id: string): Promise<Payment | null>;
  operations(paymentId: string): Promise<PaymentOperation[]>;
  /** Newest first; `beforeSeq` continues a previous page. */
  list(owner: string, options: { limit: number; beforeSeq?: number }): Promise<PaymentPage>;
  /** Lock the payment, decide with the state machine, update it and append the operation: one transaction. */
  transition(owner: string, id: string, command: PaymentCommand): Promise<TransitionOutcome>;
}

interface PaymentRow {
  id: string;
  seq: string;
  owner: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  captured_amount: string;
  refunded_amount: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

interface OperationRow {
  id: string;
  kind: PaymentCommand['kind'];
  amount: string;
  from_status: PaymentStatus;
  to_status: PaymentStatus;
  created_at: Date;
}

const COLUMNS = 'id, seq, owner, amount, currency, status, captured_amount, refunded_amount, description, created_at, updated_at';
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';

// bigint columns arrive as strings; amounts are bounded well below 2^53 by the API, so Number is exact.
const toPayment = (row: PaymentRow): Payment => ({
  id: row.id,
  seq: Number(row.seq),
  owner: row.owner,
  amount: Number(row.amount),
  currency: row.currency,
  status: row.status,
  capturedAmount: Number(row.captured_amount),
  refundedAmount: Number(row.refunded_amount),
  description: row.description,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toOperation = (row: OperationRow): PaymentOperation => ({
  id: row.id,
  kind: row.kind,
  amount: Number(row.amount),
  fromStatus: row.from_status,
  toStatus: row.to_status,
  createdAt: row.created_at,
});

const sameContent = (payment: Payment, input: NewPayment) =>
  payment.amount === input.amount && payment.currency === input.currency && payment.description === input.description;

async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function constraintError(error: unknown): string | null {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === UNIQUE_VIOLATION || code === CHECK_VIOLATION) return constraint ?? code;
  return null;
}

export function createPaymentStore(pool: Pool): PaymentStore {
  const byKey = async (owner: string, key: string) => {
    const { rows } = await pool.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE owner = $1 AND idempotency_key = $2`, [
      owner,
      key,
    ]);
    return rows.length > 0 ? toPayment(rows[0]) : null;
  };
  return {
    async create(input) {
      const { rows } = await pool.query<PaymentRow>(
        `INSERT INTO payments (id, owner, amount, currency, description, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING ${COLUMNS}`,
        [randomUUID(), input.owner, input.amount, input.currency, input.description, input.idempotencyKey],
      );
      if (rows.length > 0) return { outcome: 'created', payment: toPayment(rows[0]) };
      // Only a conflicting idempotency key makes the insert do nothing.
      const existing = await byKey(input.owner, input.idempotencyKey as string);
      if (!existing) throw new Error('payment insert did nothing but no payment holds its idempotency key');
      return { outcome: sameContent(existing, input) ? 'existing' : 'key_reused', payment: existing };
    },

    async get(owner, id) {
      const { rows } = await pool.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1 AND owner = $2`, [id, owner]);
      return rows.length > 0 ? toPayment(rows[0]) : null;
    },

    async operations(paymentId) {
      const { rows } = await pool.query<OperationRow>(
        'SELECT id, kind, amount, from_status, to_status, created_at FROM payment_operations WHERE payment_id = $1 ORDER BY created_at, id',
        [paymentId],
      );
      return rows.map(toOperation);
    },

    async list(owner, { limit, beforeSeq }) {
      const { rows } = await pool.query<PaymentRow>(
        `SELECT ${COLUMNS} FROM payments WHERE owner = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3`,
        [owner, beforeSeq ?? null, limit + 1],
      );
      const payments = rows.slice(0, limit).map(toPayment);
      return { payments, nextAfterSeq: rows.length > limit ? payments[payments.length - 1].seq : null };
    },

    async transition(owner, id, command) {
      try {
        return await inTransaction(pool, async (client): Promise<TransitionOutcome> => {
          // FOR UPDATE serialises every transition of this payment: a concurrent capture waits here,
          // then sees the committed state and is refused by the state machine.
          const locked = await client.query<PaymentRow>(`SELECT ${COLUMNS} FROM payments WHERE id = $1 AND owner = $2 FOR UPDATE`, [
            id,
            owner,
          ]);
          if (locked.rows.length === 0) return { outcome: 'not_found' };
          const decision = decideTransition(toPayment(locked.rows[0]), command);
          if (!decision.ok) return { outcome: 'refused', decision };
          const updated = await client.query<PaymentRow>(
            `UPDATE payments SET status = $2, captured_amount = $3, refunded_amount = $4, updated_at = now()
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [id, decision.to, decision.capturedAmount, decision.refundedAmount],
          );
          const operation = await client.query<OperationRow>(
            `INSERT INTO payment_operations (payment_id, kind, amount, from_status, to_status)
             VALUES ($1, $2, $3, $4, $5) RETURNING id, kind, amount, from_status, to_status, created_at`,
            [id, command.kind, decision.operationAmount, decision.from, decision.to],
          );
          return { outcome: 'applied', payment: toPayment(updated.rows[0]), operation: toOperation(operation.rows[0]) };
        });
      } catch (error) {
        const constraint = constraintError(error);
        if (constraint) return { outcome: 'conflict', constraint };
        throw error;
      }
    },
  };
}
