-- Mixed case, comments and multi-line statements.
ALTER TABLE
  users
  ADD COLUMN
    "Preferences" JSONB DEFAULT '{}' NOT NULL;
/* a block comment; with a semicolon */
ALTER TABLE public.orders ALTER COLUMN total TYPE numeric(12, 2);
CREATE INDEX
  orders_status_idx
ON orders (status);
ALTER TABLE ONLY users ADD CONSTRAINT users_plan_check CHECK (plan IN ('free', 'pro'));
ALTER TABLE IF EXISTS users DROP COLUMN IF EXISTS old_flag;
ALTER TABLE users ALTER COLUMN "Preferences" SET NOT NULL, ALTER COLUMN name DROP NOT NULL;
CREATE TABLE IF NOT EXISTS settings (key varchar(64) PRIMARY KEY, value int, updated timestamp(3));
