-- Delivery and read receipts. A receipt is recorded once per (message, user, state): a redelivered
-- or retried receipt inserts nothing (ON CONFLICT DO NOTHING). Recording 'read' also records
-- 'delivered' when it is missing, so a user's receipts never go backwards.

-- migrate:up
CREATE TABLE message_receipts (
  message_id uuid NOT NULL,
  user_id text NOT NULL,
  state text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT message_receipts_once UNIQUE (message_id, user_id, state),
  CONSTRAINT message_receipts_state_known CHECK (state IN ('delivered', 'read')),
  CONSTRAINT message_receipts_message_fkey FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE
);

-- migrate:down
DROP TABLE message_receipts;
