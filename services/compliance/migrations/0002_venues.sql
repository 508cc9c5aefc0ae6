-- Venues and their verification. venue_events is the audit trail of the state machine
-- (src/venues/venue-state-machine.ts): one row per transition, written in the transaction that
-- changes venues.state, never updated or deleted (privacy deletion blanks the person, not the trail).

-- migrate:up
CREATE TABLE venues (
  id uuid PRIMARY KEY,
  owner_subject text NOT NULL,
  legal_name text NOT NULL,
  ein text NOT NULL,
  address jsonb NOT NULL,
  contact_name text,
  contact_email text,
  state text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT venues_state_known CHECK (state IN ('pending', 'documents_required', 'in_review', 'verified', 'rejected')),
  CONSTRAINT venues_ein_format CHECK (ein ~ '^[0-9]{2}-[0-9]{7}$')
);
CREATE INDEX venues_owner ON venues (owner_subject);
CREATE INDEX venues_contact_email ON venues (lower(contact_email));

CREATE TABLE venue_events (
  id bigserial PRIMARY KEY,
  venue_id uuid NOT NULL REFERENCES venues (id),
  from_state text,
  to_state text NOT NULL,
  command text NOT NULL,
  actor_role text NOT NULL,
  actor_subject text NOT NULL,
  reason text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venue_events_venue ON venue_events (venue_id, id);

-- migrate:down
DROP TABLE venue_events;
DROP TABLE venues;
