-- Sales per venue per calendar year for Form 1099-K. Each payment event is recorded once
-- (transaction_id is unique: a replayed event inserts nothing); venue_tax_years holds the running
-- totals and when the reporting threshold was first crossed.

-- migrate:up
CREATE TABLE venue_transactions (
  transaction_id text PRIMARY KEY,
  venue_id uuid NOT NULL REFERENCES venues (id),
  kind text NOT NULL,
  amount_cents bigint NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT venue_transactions_kind_known CHECK (kind IN ('sale', 'refund', 'chargeback')),
  CONSTRAINT venue_transactions_amount_positive CHECK (amount_cents > 0)
);
CREATE INDEX venue_transactions_venue_time ON venue_transactions (venue_id, occurred_at);

CREATE TABLE venue_tax_years (
  venue_id uuid NOT NULL REFERENCES venues (id),
  year int NOT NULL,
  gross_cents bigint NOT NULL DEFAULT 0,
  transactions int NOT NULL DEFAULT 0,
  refunds_cents bigint NOT NULL DEFAULT 0,
  chargebacks_cents bigint NOT NULL DEFAULT 0,
  threshold_reached_at timestamptz,
  PRIMARY KEY (venue_id, year)
);

-- migrate:down
DROP TABLE venue_tax_years;
DROP TABLE venue_transactions;
