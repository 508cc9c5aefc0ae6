import type pg from 'pg';

export const RECEIPT_STATES = ['delivered', 'read'] as const;
export type ReceiptState = (typeof RECEIPT_STATES)[number];

export interface Receipt {
  userId: string;
  state: ReceiptState;
  recordedAt: string;
}

export type RecordReceiptOutcome =
  | { kind: 'not-found' }
  /** The user is not among the message's recipients. */
  | { kind: 'not-recipient' }
  /** Still pending: nobody can have received a message that is not persisted yet. */
  | { kind: 'not-persisted' }
  /** `created` is false when this receipt was already recorded (a retry or a redelivered event). */
  | { kind: 'recorded'; created: boolean; receipts: Receipt[] };

/** States a receipt implies: reading a message means it was delivered. */
export function impliedStates(state: ReceiptState): ReceiptState[] {
  return state === 'read' ? ['delivered', 'read'] : ['delivered'];
}

/**
 * Records one receipt (and the ones it implies) in one statement; the unique (message, user, state)
 * key makes a repeat a no-op. Returns every receipt of that user for the message.
 */
export async function recordReceipt(pool: pg.Pool, messageId: string, userId: string, state: ReceiptState): Promise<RecordReceiptOutcome> {
  const { rows } = await pool.query<{ found: boolean; persisted: boolean; recipient: boolean; inserted: string[] | null }>(
    `WITH msg AS (
  SELECT m.id, m.state = 'persisted' AS persisted, $2::text = ANY(m.recipient_ids) AS recipient FROM messages m WHERE m.id = $1
),
ins AS (
  INSERT INTO message_receipts (message_id, user_id, state)
  SELECT msg.id, $2, s.state FROM msg, unnest($3::text[]) AS s(state)
  WHERE msg.persisted AND msg.recipient
  ON CONFLICT (message_id, user_id, state) DO NOTHING
  RETURNING state
)
SELECT EXISTS (SELECT 1 FROM msg) AS found, coalesce((SELECT persisted FROM msg), false) AS persisted,
  coalesce((SELECT recipient FROM msg), false) AS recipient, (SELECT array_agg(state) FROM ins) AS inserted`,
    [messageId, userId, impliedStates(state)],
  );
  const row = rows[0];
  if (!row?.found) return { kind: 'not-found' };
  if (!row.recipient) return { kind: 'not-recipient' };
  if (!row.persisted) return { kind: 'not-persisted' };
  return { kind: 'recorded', created: (row.inserted ?? []).includes(state), receipts: await listReceipts(pool, messageId, userId) };
}

/** Receipts of a message (of one user when given), oldest first. */
export async function listReceipts(pool: pg.Pool, messageId: string, userId?: string): Promise<Receipt[]> {
  const { rows } = await pool.query<{ user_id: string; state: ReceiptState; recorded_at: Date }>(
    `SELECT user_id, state, recorded_at FROM message_receipts
WHERE message_id = $1 AND ($2::text IS NULL OR user_id = $2) ORDER BY recorded_at, user_id, state`,
    [messageId, userId ?? null],
  );
  return rows.map((r) => ({ userId: r.user_id, state: r.state, recordedAt: r.recorded_at.toISOString() }));
}
