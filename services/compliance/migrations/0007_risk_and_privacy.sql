-- Risk reviews opened by high scores, and privacy requests (export, deletion) with their legal deadline.

-- migrate:up
CREATE TABLE risk_reviews (
  id uuid PRIMARY KEY,
  venue_id uuid NOT NULL REFERENCES venues (id),
  score int NOT NULL,
  reasons jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open',
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CONSTRAINT risk_reviews_status_known CHECK (status IN ('open', 'closed'))
);
CREATE UNIQUE INDEX risk_reviews_one_open ON risk_reviews (venue_id) WHERE status = 'open';

CREATE TABLE privacy_requests (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  subject_email text NOT NULL,
  jurisdiction text NOT NULL,
  status text NOT NULL DEFAULT 'open',
  received_at timestamptz NOT NULL DEFAULT now(),
  due_at timestamptz NOT NULL,
  completed_at timestamptz,
  result jsonb,
  CONSTRAINT privacy_requests_kind_known CHECK (kind IN ('export', 'deletion')),
  CONSTRAINT privacy_requests_status_known CHECK (status IN ('open', 'completed'))
);

-- migrate:down
DROP TABLE privacy_requests;
DROP TABLE risk_reviews;
