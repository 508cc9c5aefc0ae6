-- Card search (GET /api/v1/cards?bin=&last4=&expiryMonth=&expiryYear=&status=) on a hash index over
-- last4 instead of the bloom index of 0005. Every bloom insertion is a generic WAL record computed
-- over a whole index page: in node bench/card-generation.bench.ts (1,000,000 cards, 2026-12-03
-- 09:36 UTC, load about 5) the bloom index was about half of PostgreSQL's CPU for a bulk job (18.8 s
-- with it, 9.9 s without). last4 is what a support search starts from and the most selective field
-- (10,000 values); the other fields match a twelfth of the cards or more, where a bloom index scan
-- reads its whole index and most heap pages anyway, so those searches read the table. A hash index,
-- not a B-tree: searches compare last4 for equality only, and inserting 200,000 rows into `cards`
-- cost PostgreSQL about half as much CPU for a hash index on last4 as for a B-tree on it.

-- migrate:up
CREATE INDEX CONCURRENTLY IF NOT EXISTS cards_last4_idx ON cards USING hash (last4);
DROP INDEX CONCURRENTLY IF EXISTS cards_lookup_bloom_idx;

-- migrate:down
-- cutover:allow index-too-many-columns a bloom index serves equality searches on any subset of its columns, each used on its own
CREATE INDEX CONCURRENTLY IF NOT EXISTS cards_lookup_bloom_idx ON cards USING bloom (bin, last4, expiry_month, expiry_year, status)
  WITH (length = 80, col1 = 2, col2 = 4, col3 = 2, col4 = 2, col5 = 1);
DROP INDEX CONCURRENTLY IF EXISTS cards_last4_idx;
