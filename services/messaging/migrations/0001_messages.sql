-- Messages and the per-conversation counters that order them.
--   * (sender_id, client_message_id) is the idempotency key: a retried send finds the row its first
--     attempt claimed, however many attempts race (INSERT ... ON CONFLICT DO NOTHING under this key).
--   * state: 'pending' once the ingress accepted it (the row and its stream entry exist), 'persisted'
--     once a consumer committed it and gave it its place in the conversation (conversation_seq).
--   * fingerprint (sha256 of the canonical request) tells a retry from a reuse of the key with
--     another payload.
--   * correlation_id follows the message through logs, the stream and the dead-letter stream.

-- cutover:allow prefer-bigint partition is a partition number (at most 1024), never a counter
-- migrate:up
CREATE TABLE messages (
  id uuid NOT NULL,
  sender_id text NOT NULL,
  client_message_id text NOT NULL,
  conversation_id text NOT NULL,
  content text NOT NULL,
  content_type text NOT NULL,
  recipient_ids text[] NOT NULL,
  fingerprint text NOT NULL,
  correlation_id text NOT NULL,
  partition integer NOT NULL,
  state text NOT NULL DEFAULT 'pending',
  conversation_seq bigint,
  accepted_at timestamptz NOT NULL,
  persisted_at timestamptz,
  CONSTRAINT messages_pkey PRIMARY KEY (id),
  CONSTRAINT messages_idempotency_key UNIQUE (sender_id, client_message_id),
  CONSTRAINT messages_state_known CHECK (state IN ('pending', 'persisted')),
  CONSTRAINT messages_seq_iff_persisted CHECK ((state = 'persisted') = (conversation_seq IS NOT NULL AND persisted_at IS NOT NULL)),
  CONSTRAINT messages_partition_range CHECK (partition >= 0)
);

-- One place per message in its conversation; also the index that lists a conversation in order.
CREATE UNIQUE INDEX messages_conversation_seq_key ON messages (conversation_id, conversation_seq);

CREATE TABLE conversations (
  id text NOT NULL,
  last_seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT conversations_pkey PRIMARY KEY (id),
  CONSTRAINT conversations_last_seq_positive CHECK (last_seq > 0)
);

-- migrate:down
DROP TABLE conversations;
DROP TABLE messages;
