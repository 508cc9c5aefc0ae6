-- The serial registry and the guide's serial tables.
--
-- `serials` is the one identity of every serial the service knows, whatever its source: a vendor
-- serial received with material, a system serial generated from a pattern, or a late-assignment
-- placeholder (reserved prefix TMP-). Genealogy links point at it. Uniqueness is enforced here:
-- the unique index is per (scope_type, scope_key, normalized_serial), and registrations of one
-- normalized value take a transaction advisory lock on it so that checks across scopes (a global
-- serial against a per-part one) see each other.

-- migrate:up
-- cutover:allow prefer-bigint sequence_base is a number base (10, 16 or 36), never a counter
CREATE TABLE serials (
  id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  source            text        NOT NULL CHECK (source IN ('vendor', 'system', 'placeholder')),
  serial_number     text        NOT NULL,
  normalized_serial text        NOT NULL,
  part_id           text        NOT NULL,
  vendor_key        text,
  scope_type        text        NOT NULL CHECK (scope_type IN ('global', 'part', 'vendor')),
  scope_key         text        NOT NULL,
  retired_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT serials_scope_unique UNIQUE (scope_type, scope_key, normalized_serial)
);
CREATE INDEX serials_normalized_idx ON serials (normalized_serial);

-- Vendor (external) serials: received with the material, then inspected, accepted or rejected,
-- and consumed by an assembly. See src/vendor/vendor-serial-state-machine.ts.
CREATE TABLE vendor_serials (
  id                uuid        PRIMARY KEY REFERENCES serials (id),
  serial_number     text        NOT NULL,
  vendor_name       text        NOT NULL,
  part_id           text        NOT NULL,
  lot_number        text,
  status            text        NOT NULL CHECK (status IN ('received', 'inspected', 'accepted', 'rejected', 'consumed')),
  received_date     date        NOT NULL,
  status_reason     text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Pattern templates of system (internal) serials, e.g. SN-{PART}-{YYYY}{MM}-{SEQ:6}{CHECK}.
CREATE TABLE serial_patterns (
  id              text        PRIMARY KEY,
  name            text        NOT NULL,
  template        text        NOT NULL,
  part_id         text,
  sequence_base   smallint    NOT NULL DEFAULT 10 CHECK (sequence_base IN (10, 16, 36)),
  sequence_min    bigint      NOT NULL DEFAULT 1 CHECK (sequence_min >= 0),
  sequence_max    bigint      NOT NULL CHECK (sequence_max >= sequence_min),
  increment_by    bigint      NOT NULL DEFAULT 1 CHECK (increment_by >= 1),
  reset_rule      text        NOT NULL DEFAULT 'never' CHECK (reset_rule IN ('never', 'daily', 'monthly', 'yearly')),
  check_algorithm text        CHECK (check_algorithm IN ('iso7064-mod37-2', 'iso7064-mod11-2', 'luhn')),
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- One counter per pattern, part and reset period ("scope" of a sequence). Allocation is an UPDATE
-- in the same transaction as the serial rows: a rolled-back request takes its values back with it,
-- so the committed sequence has no gaps and no value is ever given to two serials.
CREATE TABLE serial_counters (
  pattern_id  text        NOT NULL REFERENCES serial_patterns (id),
  scope_key   text        NOT NULL,
  next_value  bigint      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pattern_id, scope_key)
);

CREATE TABLE system_generated_serials (
  id               uuid        PRIMARY KEY REFERENCES serials (id),
  serial_number    text        NOT NULL,
  part_id          text        NOT NULL,
  pattern_id       text        NOT NULL REFERENCES serial_patterns (id),
  counter_scope    text        NOT NULL,
  sequence_value   bigint      NOT NULL,
  check_character  text,
  status           text        NOT NULL DEFAULT 'generated' CHECK (status IN ('generated', 'assigned', 'consumed', 'voided')),
  generated_by     text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT system_generated_serials_sequence_unique UNIQUE (pattern_id, counter_scope, sequence_value)
);

-- Late assignment: a unit carried under a temporary id until the operation that gives it its
-- permanent serial. Resolved at most once (resolved_serial_id is set in the same UPDATE that
-- leaves 'pending').
CREATE TABLE late_assignment_placeholders (
  id                  uuid        PRIMARY KEY REFERENCES serials (id),
  placeholder_code    text        NOT NULL UNIQUE,
  part_id             text        NOT NULL,
  operation_code      text,
  work_order          text,
  status              text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'cancelled')),
  resolved_serial_id  uuid        REFERENCES serials (id),
  resolution_source   text        CHECK (resolution_source IN ('trigger', 'manual')),
  resolved_by         text,
  resolved_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT placeholders_resolution_complete CHECK ((status = 'resolved') = (resolved_serial_id IS NOT NULL))
);

-- Genealogy edges (ISA-95 AssembledFrom): the parent assembly is made of the child component.
-- serial_id is the serial the link was recorded on (the assembly scanned at the operation).
CREATE TABLE serial_propagations (
  id                     uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  serial_id              uuid        NOT NULL REFERENCES serials (id),
  parent_serial_id       uuid        NOT NULL REFERENCES serials (id),
  child_serial_id        uuid        NOT NULL REFERENCES serials (id),
  relation               text        NOT NULL DEFAULT 'assembled_from',
  assembly_type          text        NOT NULL DEFAULT 'physical' CHECK (assembly_type IN ('physical', 'logical')),
  assembly_relationship  text        NOT NULL DEFAULT 'permanent' CHECK (assembly_relationship IN ('permanent', 'transient')),
  operation_code         text,
  valid_from             timestamptz NOT NULL DEFAULT now(),
  valid_to               timestamptz,
  created_by             text        NOT NULL,
  CONSTRAINT serial_propagations_not_self CHECK (parent_serial_id <> child_serial_id)
);
CREATE UNIQUE INDEX serial_propagations_open_edge ON serial_propagations (parent_serial_id, child_serial_id) WHERE valid_to IS NULL;

-- A serial refused as a duplicate within its scope, kept until someone resolves it.
CREATE TABLE serial_uniqueness_checks (
  id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  serial_number         text        NOT NULL,
  normalized_serial     text        NOT NULL,
  part_id               text        NOT NULL,
  vendor_name           text,
  scope                 text        NOT NULL CHECK (scope IN ('global', 'part', 'vendor')),
  source                text        NOT NULL,
  status                text        NOT NULL DEFAULT 'conflict' CHECK (status IN ('conflict', 'rejected', 'relabelled')),
  conflicting_serial_id uuid        NOT NULL REFERENCES serials (id),
  attempted             jsonb       NOT NULL,
  resolution_serial_id  uuid        REFERENCES serials (id),
  resolution_reason     text,
  resolved_by           text,
  resolved_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now()
);

-- Rules on operation events that assign or generate serials.
CREATE TABLE serial_assignment_triggers (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text        NOT NULL UNIQUE,
  part_id         text        NOT NULL,
  event_type      text        NOT NULL CHECK (event_type IN ('receipt', 'operation_complete', 'inspection_pass')),
  operation_code  text,
  action          text        NOT NULL CHECK (action IN ('generate', 'resolve_placeholder', 'accept_vendor_serial')),
  pattern_id      text        REFERENCES serial_patterns (id),
  enabled         boolean     NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT triggers_pattern_needed CHECK (action = 'accept_vendor_serial' OR pattern_id IS NOT NULL)
);

-- One row per (operation event, trigger): a re-sent event finds its row and gets the same serials.
CREATE TABLE serial_trigger_executions (
  event_id        text        NOT NULL,
  trigger_id      uuid        NOT NULL REFERENCES serial_assignment_triggers (id),
  part_id         text        NOT NULL,
  outcome         text        NOT NULL CHECK (outcome IN ('assigned', 'skipped', 'failed')),
  serial_ids      uuid[]      NOT NULL DEFAULT '{}',
  detail          text,
  executed_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, trigger_id)
);
CREATE INDEX serial_trigger_executions_part_idx ON serial_trigger_executions (part_id, trigger_id);

-- Accounts allowed to obtain a token (the seed creates the admin); passwords as scrypt hashes.
CREATE TABLE service_accounts (
  username       text        PRIMARY KEY,
  password_hash  text        NOT NULL,
  roles          text[]      NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE service_accounts;
DROP TABLE serial_trigger_executions;
DROP TABLE serial_assignment_triggers;
DROP TABLE serial_uniqueness_checks;
DROP TABLE serial_propagations;
DROP TABLE late_assignment_placeholders;
DROP TABLE system_generated_serials;
DROP TABLE serial_counters;
DROP TABLE serial_patterns;
DROP TABLE vendor_serials;
DROP TABLE serials;
