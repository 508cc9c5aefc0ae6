-- The audit trail: append-only in the database itself, tamper-evident, partitioned by month.
--
-- * Every change of the service inserts its audit event in the same transaction as the change.
-- * UPDATE and DELETE are refused by a trigger (and TRUNCATE by another); the only way to remove
--   events is dropping a whole month partition once it is older than AUDIT_RETENTION_DAYS
--   (audit_drop_expired_partitions).
-- * Each event carries chain_seq, prev_hash and hash = sha256(prev_hash | the event's fields),
--   set by the insert trigger from audit_chain_head (whose row lock orders concurrent writers).
--   audit_verify_chain() recomputes the chain and returns the first row that does not match.
-- The indexes are the guide's: on a partitioned table PostgreSQL cannot build an index
-- CONCURRENTLY, and on this new table no writer waits; later partitions inherit them.

-- migrate:up
-- cutover:allow prefer-bigint audit_chain_head.id is the single row 1 (CHECK id = 1)
CREATE TABLE audit_events (
  id             uuid        NOT NULL DEFAULT gen_random_uuid(),
  chain_seq      bigint      NOT NULL,
  performed_at   timestamptz NOT NULL DEFAULT now(),
  event_type     text        NOT NULL,
  entity_type    text        NOT NULL,
  entity_id      text,
  serial_number  text,
  part_id        text,
  performed_by   text        NOT NULL,
  reason         text,
  before_state   jsonb,
  after_state    jsonb,
  request_id     text,
  prev_hash      text        NOT NULL,
  hash           text        NOT NULL,
  PRIMARY KEY (id, performed_at)
) PARTITION BY RANGE (performed_at);

CREATE INDEX idx_audit_events_serial_number ON audit_events (serial_number);
CREATE INDEX idx_audit_events_event_type ON audit_events (event_type);
CREATE INDEX idx_audit_events_performed_at ON audit_events (performed_at DESC);
CREATE INDEX idx_audit_events_performed_by ON audit_events (performed_by);
CREATE INDEX idx_audit_events_type_time ON audit_events (event_type, performed_at DESC);
CREATE INDEX audit_events_part_time_idx ON audit_events (part_id, performed_at DESC, chain_seq DESC);
CREATE INDEX audit_events_chain_seq_idx ON audit_events (chain_seq);

CREATE TABLE audit_chain_head (
  id         smallint PRIMARY KEY CHECK (id = 1),
  last_seq   bigint   NOT NULL,
  last_hash  text     NOT NULL
);
INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, repeat('0', 64));

CREATE FUNCTION audit_event_hash(
  prev_hash text, chain_seq bigint, performed_at timestamptz, event_type text, entity_type text, entity_id text,
  serial_number text, part_id text, performed_by text, reason text, before_state jsonb, after_state jsonb, request_id text
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(E'\x1f',
    prev_hash, chain_seq::text, to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    event_type, entity_type, coalesce(entity_id, ''), coalesce(serial_number, ''), coalesce(part_id, ''),
    performed_by, coalesce(reason, ''), coalesce(before_state::text, ''), coalesce(after_state::text, ''),
    coalesce(request_id, '')), 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit events are removed only by dropping whole month partitions past AUDIT_RETENTION_DAYS';
END
$$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

-- Month partitions audit_events_YYYYMM from the current month to `months_ahead` months later.
CREATE FUNCTION audit_ensure_partitions(months_ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
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

-- Drops the month partitions whose every event is older than `retention_days`; returns their names.
CREATE FUNCTION audit_drop_expired_partitions(retention_days integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  part record;
  cutoff timestamptz := now() - make_interval(days => retention_days);
BEGIN
  IF retention_days < 1 THEN
    RAISE EXCEPTION 'retention_days must be at least 1 (got %)', retention_days;
  END IF;
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_[0-9]{6}$'
    ORDER BY c.relname
  LOOP
    IF (to_date(right(part.relname, 6), 'YYYYMM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
      EXECUTE format('DROP TABLE %I', part.relname);
      RETURN NEXT part.relname;
    END IF;
  END LOOP;
END
$$;

-- The first event whose hash or link to its predecessor does not match, or no row when the chain is intact.
-- The oldest kept event anchors the chain (older months may have been dropped by retention).
CREATE FUNCTION audit_verify_chain() RETURNS TABLE (chain_seq bigint, problem text) LANGUAGE sql STABLE AS $$
  SELECT e.chain_seq,
         CASE WHEN e.hash <> audit_event_hash(e.prev_hash, e.chain_seq, e.performed_at, e.event_type, e.entity_type,
                     e.entity_id, e.serial_number, e.part_id, e.performed_by, e.reason, e.before_state, e.after_state, e.request_id)
              THEN 'hash does not match the event'
              WHEN e.previous_seq IS NOT NULL AND e.previous_seq <> e.chain_seq - 1 THEN 'events missing before this one'
              ELSE 'prev_hash does not match the previous event' END
  FROM (
    SELECT a.*, lag(a.hash) OVER w AS previous_hash, lag(a.chain_seq) OVER w AS previous_seq
    FROM audit_events a WINDOW w AS (ORDER BY a.chain_seq)
  ) e
  WHERE e.hash <> audit_event_hash(e.prev_hash, e.chain_seq, e.performed_at, e.event_type, e.entity_type,
                     e.entity_id, e.serial_number, e.part_id, e.performed_by, e.reason, e.before_state, e.after_state, e.request_id)
     OR (e.previous_seq IS NOT NULL AND e.previous_seq <> e.chain_seq - 1)
     OR (e.previous_hash IS NOT NULL AND e.previous_hash <> e.prev_hash)
  ORDER BY e.chain_seq
  LIMIT 1
$$;

SELECT audit_ensure_partitions(3);

-- migrate:down
DROP TABLE audit_events;
DROP TABLE audit_chain_head;
DROP FUNCTION audit_drop_expired_partitions(integer);
DROP FUNCTION audit_ensure_partitions(integer);
DROP FUNCTION audit_events_refuse_change();
DROP FUNCTION audit_events_chain();
DROP FUNCTION audit_verify_chain();
DROP FUNCTION audit_event_hash(text, bigint, timestamptz, text, text, text, text, text, text, text, jsonb, jsonb, text);
