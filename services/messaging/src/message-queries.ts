import type pg from 'pg';
import type { MessageState } from './ingress/message-ingress.ts';

export interface StoredMessage {
  messageId: string;
  conversationId: string;
  senderId: string;
  clientMessageId: string;
  content: string;
  contentType: string;
  recipientIds: string[];
  correlationId: string;
  state: MessageState;
  /** Place in the conversation; null while pending. */
  conversationSeq: number | null;
  acceptedAt: string;
  persistedAt: string | null;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  sender_id: string;
  client_message_id: string;
  content: string;
  content_type: string;
  recipient_ids: string[];
  correlation_id: string;
  state: MessageState;
  conversation_seq: string | null;
  accepted_at: Date;
  persisted_at: Date | null;
}

const COLUMNS = `id, conversation_id, sender_id, client_message_id, content, content_type, recipient_ids, correlation_id, state,
  conversation_seq, accepted_at, persisted_at`;

function toMessage(row: MessageRow): StoredMessage {
  return {
    messageId: row.id,
    conversationId: row.conversation_id,
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    content: row.content,
    contentType: row.content_type,
    recipientIds: row.recipient_ids,
    correlationId: row.correlation_id,
    state: row.state,
    conversationSeq: row.conversation_seq === null ? null : Number(row.conversation_seq),
    acceptedAt: row.accepted_at.toISOString(),
    persistedAt: row.persisted_at?.toISOString() ?? null,
  };
}

export async function findMessage(pool: pg.Pool, messageId: string): Promise<StoredMessage | null> {
  const { rows } = await pool.query<MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE id = $1`, [messageId]);
  return rows[0] ? toMessage(rows[0]) : null;
}

/** Persisted messages of a conversation in their order, after `afterSeq`. */
export async function listConversation(pool: pg.Pool, conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
  const { rows } = await pool.query<MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE conversation_id = $1 AND conversation_seq > $2 ORDER BY conversation_seq LIMIT $3`,
    [conversationId, afterSeq, limit],
  );
  return rows.map(toMessage);
}
