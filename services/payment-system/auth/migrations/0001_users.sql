-- Accounts of the auth service. Emails are stored normalised (trimmed, lower case), so the unique
-- constraint is the whole duplicate check; password_hash is a PHC-style scrypt string that carries
-- its own parameters, so raising the cost later only needs a rehash at the next login.

-- migrate:up
CREATE TABLE users (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_pkey PRIMARY KEY (id),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
  CONSTRAINT users_password_hash_format CHECK (password_hash LIKE '$scrypt$%')
);

-- migrate:down
DROP TABLE users;
