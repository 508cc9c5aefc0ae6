-- Uploaded documents (W-9, business licence). The bytes live encrypted (AES-256-GCM, chunked) in
-- the document storage directory; this table holds what is needed to find and open them, and the
-- SHA-256 of the plaintext so a download can be checked end to end.

-- migrate:up
CREATE TABLE documents (
  id uuid PRIMARY KEY,
  venue_id uuid NOT NULL REFERENCES venues (id),
  kind text NOT NULL,
  content_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  key_id text NOT NULL,
  storage_name text NOT NULL,
  uploaded_by text NOT NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT documents_kind_known CHECK (kind IN ('w9', 'business_license'))
);
CREATE INDEX documents_venue ON documents (venue_id, kind);

-- migrate:down
DROP TABLE documents;
