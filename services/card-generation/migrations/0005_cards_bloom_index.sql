-- The guide's "bloom filter integration", for what PostgreSQL's bloom contrib really is: an index
-- access method for equality searches over any combination of its columns (one lossy signature per
-- row, rechecked against the heap). It serves support lookups such as "the card of BIN 400000
-- ending 4444 expiring 05/2029", GET /api/v1/cards?bin=&last4=&expiryMonth=&expiryYear=&status=.
-- It does not enforce or check uniqueness: the UNIQUE constraints of 0003 do. (The guide's
-- "pg_bloom" extension does not exist; `bloom` ships with PostgreSQL's contrib package.)
-- Rebuilt weekly by `npm run bloom:sync` (REINDEX CONCURRENTLY): a bloom index does not shrink.

-- cutover:allow index-too-many-columns a bloom index serves equality searches on any subset of its columns, each used on its own
-- migrate:up
CREATE EXTENSION IF NOT EXISTS bloom;
CREATE INDEX CONCURRENTLY IF NOT EXISTS cards_lookup_bloom_idx ON cards USING bloom (bin, last4, expiry_month, expiry_year, status)
  WITH (length = 80, col1 = 2, col2 = 4, col3 = 2, col4 = 2, col5 = 1);

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS cards_lookup_bloom_idx;
