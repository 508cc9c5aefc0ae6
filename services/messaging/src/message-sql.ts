import type { MessageEnvelope } from './streams/message-envelope.ts';

export interface SqlQuery {
  text: string;
  values: unknown[];
}

const INSERT_MESSAGES = `INSERT INTO messages (id, sender_id, client_message_id, conversation_id, content, content_type, recipient_ids,
  fingerprint, correlation_id, partition, accepted_at)
SELECT t."messageId", t."senderId", t."clientMessageId", t."conversationId", t.content, t."contentType", t."recipientIds",
  t.fingerprint, t."correlationId", t.partition, t."acceptedAt"
FROM ROWS FROM (json_to_recordset($1::json) AS ("messageId" uuid, "senderId" text, "clientMessageId" text, "conversationId" text,
  content text, "contentType" text, "recipientIds" text[], fingerprint text, "correlationId" text, partition int, "acceptedAt" timestamptz))
  WITH ORDINALITY AS t("messageId", "senderId", "clientMessageId", "conversationId", content, "contentType", "recipientIds",
    fingerprint, "correlationId", partition, "acceptedAt", ord)
ORDER BY t.ord
ON CONFLICT DO NOTHING
RETURNING id`;

/**
 * One INSERT for many messages, in the given order, as 'pending'. A row whose id or idempotency key
 * exists is skipped (waiting first for an uncommitted one to commit or roll back); RETURNING names
 * the rows actually inserted.
 *
 * The rows travel as one JSON array of the envelopes' own JSON (`envelopeJson`, the text of their
 * stream entries when the caller has it): one native JSON.stringify per message serves both the
 * XADD and the INSERT, instead of eleven PostgreSQL array literals escaped in JavaScript. A named
 * statement: each connection parses and plans it once.
 */
export function buildInsertMessages(
  envelopes: readonly MessageEnvelope[],
  envelopeJson: readonly string[] = envelopes.map((e) => JSON.stringify(e)),
): SqlQuery & { name: string } {
  return { name: 'messaging-insert-messages', text: INSERT_MESSAGES, values: [`[${envelopeJson.join(',')}]`] };
}

/** The rows holding these idempotency keys (sender, clientMessageId). */
export function buildSelectByIdempotencyKeys(keys: readonly { senderId: string; clientMessageId: string }[]): SqlQuery & { name: string } {
  return {
    name: 'messaging-select-by-idempotency-keys',
    text: `SELECT m.id, m.sender_id, m.client_message_id, m.fingerprint, m.state, m.accepted_at, m.correlation_id, m.partition
FROM messages m JOIN unnest($1::text[], $2::text[]) AS k(sender_id, client_message_id)
  ON m.sender_id = k.sender_id AND m.client_message_id = k.client_message_id`,
    values: [keys.map((k) => k.senderId), keys.map((k) => k.clientMessageId)],
  };
}

const PERSIST_BATCH = `WITH input AS (
  SELECT i.id, i.ord FROM unnest($1::uuid[]) WITH ORDINALITY AS i(id, ord)
),
existing AS (
  SELECT m.id, m.state, m.conversation_id FROM messages m WHERE m.id = ANY($1::uuid[]) ORDER BY m.id FOR UPDATE
),
cut AS (
  SELECT coalesce(min(i.ord), 9223372036854775807) AS ord FROM input i WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.id = i.id)
),
todo AS (
  SELECT i.id, e.conversation_id,
    row_number() OVER (PARTITION BY e.conversation_id ORDER BY i.ord) AS rank,
    count(*) OVER (PARTITION BY e.conversation_id) AS n
  FROM input i JOIN existing e ON e.id = i.id
  WHERE e.state = 'pending' AND i.ord < (SELECT ord FROM cut)
),
bumped AS (
  INSERT INTO conversations AS c (id, last_seq)
  SELECT conversation_id, max(n) FROM todo GROUP BY conversation_id ORDER BY conversation_id
  ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq, updated_at = now()
  RETURNING c.id, c.last_seq
),
updated AS (
  UPDATE messages m SET state = 'persisted', conversation_seq = b.last_seq - t.n + t.rank, persisted_at = now()
  FROM todo t JOIN bumped b ON b.id = t.conversation_id
  WHERE m.id = t.id
  RETURNING m.id, m.conversation_seq, m.accepted_at
)
SELECT i.id,
  CASE WHEN u.id IS NOT NULL THEN 'persisted' WHEN i.ord >= (SELECT ord FROM cut) THEN 'deferred' ELSE 'duplicate' END AS outcome,
  u.conversation_seq, u.accepted_at
FROM input i LEFT JOIN updated u ON u.id = i.id
ORDER BY i.ord`;

/**
 * Persists a batch of stream entries, in stream order, in one statement:
 *   1. lock every row of the batch that exists (in id order, so two consumers never deadlock);
 *   2. cut the batch at the first entry whose row does not exist yet (its ingress crashed before
 *      committing, or has not committed yet): that entry and everything after it are 'deferred',
 *      so nothing overtakes it;
 *   3. give each still-pending message of the prefix the next number of its conversation (the
 *      conversation counters move by the count of each conversation's messages in the batch);
 *   4. mark them persisted.
 * Rows already persisted (a redelivery after a crash between commit and ack) are 'duplicate'.
 * Outcomes come back in stream order: persisted | duplicate | deferred.
 *
 * A named statement, like the ingress's INSERT: each connection parses and plans it once instead
 * of once per batch (parse and plan took 0.18 + 0.23 ms of the 0.57 ms a one-message batch cost
 * PostgreSQL at 500 msg/s, log_min_duration_statement=0).
 */
export function buildPersistBatch(messageIds: readonly string[]): SqlQuery & { name: string } {
  return {
    name: 'messaging-persist-batch',
    text: PERSIST_BATCH,
    values: [messageIds],
  };
}

/** Which of these message ids have a row, and in which state (shadow consumers only read). */
export function buildSelectStates(messageIds: readonly string[]): SqlQuery & { name: string } {
  return { name: 'messaging-select-states', text: 'SELECT id, state FROM messages WHERE id = ANY($1::uuid[])', values: [messageIds] };
}
