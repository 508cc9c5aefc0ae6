-- Payments and their operations: the append-only ledger of authorize, capture, void and refund.
-- The service's state machine decides each transition; these constraints keep the invariants even
-- if it were wrong or bypassed:
--   * status is one of six values and agrees with the captured and refunded amounts;
--   * at most one authorize, one capture and one void per payment (partial unique indexes), so a
--     second capture fails at INSERT whatever the application does;
--   * refunds never exceed the captured amount: refunded_amount <= captured_amount on the payment,
--     and a deferred constraint trigger checks at commit that the payment's amounts equal the sums
--     of its capture and refund operations.
-- (owner, idempotency_key) is unique too: a create retried past the 24 h idempotency window
-- still finds the payment it made.

-- migrate:up
CREATE TABLE payments (
  id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  owner text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL DEFAULT 'created',
  captured_amount bigint NOT NULL DEFAULT 0,
  refunded_amount bigint NOT NULL DEFAULT 0,
  description text,
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_pkey PRIMARY KEY (id),
  CONSTRAINT payments_seq_key UNIQUE (seq),
  CONSTRAINT payments_amount_positive CHECK (amount > 0),
  CONSTRAINT payments_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT payments_status_known CHECK (status IN ('created', 'authorized', 'captured', 'partially_refunded', 'refunded', 'voided')),
  CONSTRAINT payments_captured_range CHECK (captured_amount >= 0 AND captured_amount <= amount),
  CONSTRAINT payments_refunded_range CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
  CONSTRAINT payments_status_amounts CHECK (
    CASE status
      WHEN 'captured' THEN captured_amount > 0 AND refunded_amount = 0
      WHEN 'partially_refunded' THEN refunded_amount > 0 AND refunded_amount < captured_amount
      WHEN 'refunded' THEN captured_amount > 0 AND refunded_amount = captured_amount
      ELSE captured_amount = 0 AND refunded_amount = 0
    END
  ),
  CONSTRAINT payments_description_length CHECK (char_length(description) <= 500),
  CONSTRAINT payments_idempotency_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);

CREATE UNIQUE INDEX payments_owner_idempotency_key ON payments (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX payments_owner_seq ON payments (owner, seq DESC);

CREATE TABLE payment_operations (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  payment_id uuid NOT NULL,
  kind text NOT NULL,
  amount bigint NOT NULL,
  from_status text NOT NULL,
  to_status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payment_operations_pkey PRIMARY KEY (id),
  CONSTRAINT payment_operations_payment_fkey FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT payment_operations_kind CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
  CONSTRAINT payment_operations_amount CHECK (CASE WHEN kind IN ('capture', 'refund') THEN amount > 0 ELSE amount = 0 END)
);

CREATE UNIQUE INDEX payment_operations_one_authorize ON payment_operations (payment_id) WHERE kind = 'authorize';
CREATE UNIQUE INDEX payment_operations_one_capture ON payment_operations (payment_id) WHERE kind = 'capture';
CREATE UNIQUE INDEX payment_operations_one_void ON payment_operations (payment_id) WHERE kind = 'void';
CREATE INDEX payment_operations_payment_created ON payment_operations (payment_id, created_at);

CREATE FUNCTION payment_operations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payment_operations is append-only' USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER payment_operations_append_only
  BEFORE UPDATE OR DELETE ON payment_operations
  FOR EACH ROW EXECUTE FUNCTION payment_operations_append_only();

CREATE FUNCTION payments_check_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target uuid;
  recorded_captured bigint;
  recorded_refunded bigint;
  ledger_captured bigint;
  ledger_refunded bigint;
BEGIN
  IF TG_TABLE_NAME = 'payments' THEN
    target := NEW.id;
  ELSE
    target := NEW.payment_id;
  END IF;
  SELECT captured_amount, refunded_amount INTO recorded_captured, recorded_refunded FROM payments WHERE id = target;
  SELECT coalesce(sum(amount) FILTER (WHERE kind = 'capture'), 0), coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)
    INTO ledger_captured, ledger_refunded
    FROM payment_operations WHERE payment_id = target;
  IF ledger_captured <> recorded_captured OR ledger_refunded <> recorded_refunded THEN
    RAISE EXCEPTION 'payment % does not match its operations (captured % vs %, refunded % vs %)',
      target, recorded_captured, ledger_captured, recorded_refunded, ledger_refunded
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER payments_ledger_matches
  AFTER INSERT OR UPDATE ON payments
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION payments_check_ledger();

CREATE CONSTRAINT TRIGGER payment_operations_ledger_matches
  AFTER INSERT ON payment_operations
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION payments_check_ledger();

-- migrate:down
DROP TABLE payment_operations;
DROP TABLE payments;
DROP FUNCTION payments_check_ledger();
DROP FUNCTION payment_operations_append_only();
