-- The made-of listing of one serial in the order it is answered (depth, then serial number in
-- code-point order), with what it sends: an index-only range scan, no sort and no heap visit
-- (pages all-visible). Built without blocking writes, as the runner does every CONCURRENTLY
-- index (out of any transaction, an invalid leftover dropped first, the build checked valid).

-- migrate:up
CREATE INDEX CONCURRENTLY genealogy_reach_listing_idx ON genealogy_reach (ancestor_id, depth, serial_number COLLATE "C")
  INCLUDE (paths, listing_json);

-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS genealogy_reach_listing_idx;
