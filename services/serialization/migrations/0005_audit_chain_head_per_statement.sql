-- The audit chain's head is written once per INSERT statement instead of once per row.
--
-- 0003's row trigger locked audit_chain_head and updated it for every event: a batch of 100
-- events made 100 versions of that row, and its cost was the largest part of generating serials.
-- Now the row trigger locks the head at the first event of a transaction and keeps the running
-- (seq, hash) in a transaction-local setting tagged with the transaction id; a statement trigger
-- writes the head from it after each INSERT. The chain is the same (each event's prev_hash is the
-- previous event's hash, in chain_seq order) and audit_verify_chain() is unchanged; the head stays
-- locked by the first writer to its commit, as before. A setting left by another transaction (or
-- forged with SET) does not carry this transaction's id and is ignored. Inserts that name a
-- partition directly fire that partition's statement trigger (added to every partition).

-- migrate:up
CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tx text := txid_current()::text;
  state text := current_setting('audit.chain_state', true);
  last_seq bigint;
  last_hash text;
BEGIN
  IF state IS NOT NULL AND split_part(state, '|', 1) = tx THEN
    last_seq := split_part(state, '|', 2)::bigint;
    last_hash := split_part(state, '|', 3);
  ELSE
    SELECT h.last_seq, h.last_hash INTO last_seq, last_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
  END IF;
  NEW.chain_seq := last_seq + 1;
  NEW.prev_hash := last_hash;
  NEW.hash := audit_event_hash(NEW.prev_hash, NEW.chain_seq, NEW.performed_at, NEW.event_type, NEW.entity_type,
    NEW.entity_id, NEW.serial_number, NEW.part_id, NEW.performed_by, NEW.reason, NEW.before_state, NEW.after_state,
    NEW.request_id);
  PERFORM set_config('audit.chain_state', tx || '|' || NEW.chain_seq || '|' || NEW.hash, true);
  RETURN NEW;
END
$$;

CREATE FUNCTION audit_events_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  state text := current_setting('audit.chain_state', true);
BEGIN
  IF state IS NOT NULL AND split_part(state, '|', 1) = txid_current()::text THEN
    UPDATE audit_chain_head SET last_seq = split_part(state, '|', 2)::bigint, last_hash = split_part(state, '|', 3) WHERE id = 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_chain_head AFTER INSERT ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_chain_head();

DO $$
DECLARE
  part record;
BEGIN
  FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass LOOP
    EXECUTE format('CREATE TRIGGER audit_events_chain_head AFTER INSERT ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_events_chain_head()', part.relname);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION audit_ensure_partitions(months_ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month_start date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  created integer := 0;
  part_name text;
BEGIN
  FOR i IN 0..months_ahead LOOP
    part_name := 'audit_events_' || to_char(month_start, 'YYYYMM');
    IF to_regclass(part_name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
        part_name, month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      EXECUTE format('CREATE TRIGGER audit_events_chain_head AFTER INSERT ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_events_chain_head()', part_name);
      created := created + 1;
    END IF;
    month_start := (month_start + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$$;

-- migrate:down
CREATE OR REPLACE FUNCTION audit_ensure_partitions(months_ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month_start date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  created integer := 0;
  part_name text;
BEGIN
  FOR i IN 0..months_ahead LOOP
    part_name := 'audit_events_' || to_char(month_start, 'YYYYMM');
    IF to_regclass(part_name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
        part_name, month_start::timestamp AT TIME ZONE 'UTC', (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      created := created + 1;
    END IF;
    month_start := (month_start + interval '1 month')::date;
  END LOOP;
  RETURN created;
END
$$;

DO $$
DECLARE
  part record;
BEGIN
  FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS audit_events_chain_head ON %I', part.relname);
  END LOOP;
END
$$;
DROP TRIGGER audit_events_chain_head ON audit_events;
DROP FUNCTION audit_events_chain_head();

CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head audit_chain_head%ROWTYPE;
BEGIN
  SELECT * INTO head FROM audit_chain_head WHERE id = 1 FOR UPDATE;
  NEW.chain_seq := head.last_seq + 1;
  NEW.prev_hash := head.last_hash;
  NEW.hash := audit_event_hash(NEW.prev_hash, NEW.chain_seq, NEW.performed_at, NEW.event_type, NEW.entity_type,
    NEW.entity_id, NEW.serial_number, NEW.part_id, NEW.performed_by, NEW.reason, NEW.before_state, NEW.after_state,
    NEW.request_id);
  UPDATE audit_chain_head SET last_seq = NEW.chain_seq, last_hash = NEW.hash WHERE id = 1;
  RETURN NEW;
END
$$;
