-- Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header semantics), shared by every
-- instance of a service: the primary key (scope, idempotency_key) is what makes a duplicate
-- request on another instance see the first one. Rows expire at expires_at (default 24 h after
-- first use); purge_expired deletes them and a lookup treats an expired row as absent.

-- migrate:up
-- cutover:allow prefer-bigint response_status holds an HTTP status code (100-599), never a counter
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope            text        NOT NULL,
  idempotency_key  text        NOT NULL,
  fingerprint      text        NOT NULL,
  request_method   text        NOT NULL,
  request_path     text        NOT NULL,
  state            text        NOT NULL CHECK (state IN ('in_flight', 'completed')),
  lock_token       uuid,
  locked_at        timestamptz,
  response_status  integer,
  response_headers jsonb,
  response_body    bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, idempotency_key),
  CONSTRAINT idempotency_keys_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);

CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- migrate:down
DROP TABLE IF EXISTS idempotency_keys;
