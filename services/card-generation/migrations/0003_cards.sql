-- Issued cards. The PAN is never stored in clear: pan_ciphertext is AES-256-GCM (12-byte IV, 16-byte
-- tag, then the ciphertext of "<pan>|<cvc>"), pan_hash a keyed HMAC-SHA256 of the PAN (first 16
-- bytes) that indexes it. last4 and the BIN are the PCI-permitted truncation shown in masked reads.
--   * UNIQUE (bin, counter): one card per counter value; a chunk written twice fails here.
--   * UNIQUE (pan_hash): the guard of last resort. Construction (distinct counters through a
--     permutation) already makes PANs distinct; a violation here is a bug, reported, never retried.
-- No foreign key to card_bins: COPY would run a trigger per row; the writers take the BIN from it.

-- cutover:allow prefer-bigint expiry_month and expiry_year are calendar fields, never counters
-- migrate:up
CREATE TABLE cards (
  id             uuid        NOT NULL,
  bin            text        NOT NULL,
  counter        bigint      NOT NULL,
  last4          text        NOT NULL,
  pan_hash       bytea       NOT NULL,
  pan_ciphertext bytea       NOT NULL,
  expiry_month   integer     NOT NULL,
  expiry_year    integer     NOT NULL,
  status         text        NOT NULL DEFAULT 'active',
  job_id         uuid,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cards_pkey PRIMARY KEY (id),
  CONSTRAINT cards_bin_counter_key UNIQUE (bin, counter),
  CONSTRAINT cards_pan_hash_key UNIQUE (pan_hash),
  CONSTRAINT cards_status_known CHECK (status IN ('active', 'revoked')),
  CONSTRAINT cards_expiry_month CHECK (expiry_month BETWEEN 1 AND 12)
);

-- migrate:down
DROP TABLE cards;
