-- Sandbox BINs and their issuance counters. A card's PAN is BIN || FF1(counter) || Luhn, so a
-- counter value handed out once can never produce a second card: next_counter only grows, and an
-- instance reserves a block of it (UPDATE ... RETURNING) before minting from the block. capacity is
-- 10^(pan_length - length(bin) - 1); the CHECK makes over-issuance impossible whatever the caller.
-- Rows are written by the api at start from SANDBOX_BINS (INSERT ... ON CONFLICT DO NOTHING).

-- cutover:allow prefer-bigint pan_length is a PAN length (12-19), never a counter
-- migrate:up
CREATE TABLE card_bins (
  bin          text        NOT NULL,
  network      text        NOT NULL,
  pan_length   integer     NOT NULL,
  capacity     bigint      NOT NULL,
  next_counter bigint      NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT card_bins_pkey PRIMARY KEY (bin),
  CONSTRAINT card_bins_bin_digits CHECK (bin ~ '^[0-9]{6,16}$'),
  CONSTRAINT card_bins_pan_length CHECK (pan_length BETWEEN 12 AND 19),
  CONSTRAINT card_bins_counter_in_capacity CHECK (next_counter >= 0 AND next_counter <= capacity)
);

-- migrate:down
DROP TABLE card_bins;
