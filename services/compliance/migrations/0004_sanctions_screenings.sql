-- Sanctions screenings: every screening records the list it was judged against (version and
-- SHA-256 checksum of the files) and the threshold, with each candidate match and its score, so a
-- decision can be explained later. A possible match stays open until a reviewer clears or confirms it.

-- migrate:up
CREATE TABLE sanctions_screenings (
  id uuid PRIMARY KEY,
  venue_id uuid REFERENCES venues (id),
  subject_name text NOT NULL,
  list_version text NOT NULL,
  list_checksum text NOT NULL,
  threshold numeric NOT NULL,
  status text NOT NULL,
  matches jsonb NOT NULL DEFAULT '[]',
  screened_at timestamptz NOT NULL DEFAULT now(),
  reviewed_by text,
  reviewed_at timestamptz,
  review_note text,
  CONSTRAINT screenings_status_known CHECK (status IN ('clear', 'possible_match', 'cleared', 'confirmed'))
);
CREATE INDEX screenings_venue_open ON sanctions_screenings (venue_id) WHERE status = 'possible_match';

-- migrate:down
DROP TABLE sanctions_screenings;
