-- Each genealogy_reach row carries its node of a made-of listing as JSON text, so that PostgreSQL
-- sends a listing as JSON the service passes on unparsed.
--
-- A made-of of 10,000 nodes was sent as one text of packed fields, split and built into 10,000
-- objects in the service, sorted there and turned into JSON again for the answer: about 20 ms of
-- the service's CPU beside 10 to 12 ms of PostgreSQL's (bench/serialization.bench.ts, 4 December
-- 2026, load average 1.5-2). Building the JSON in the query instead cost PostgreSQL more than the
-- service saved (a listing of 10,000 read by psql: json_build_object and json_agg 41-61 ms,
-- concatenation with to_json 24-31 ms, the packed text 12-18 ms). Kept with the row, the text is
-- built once, when the row is written, and a listing only joins the rows' texts in the order of
-- the index of migration 0011 (src/genealogy/genealogy-reach.ts): 5.5 ms of PostgreSQL's CPU and
-- 8 to 9 ms of the service's (same bench). The rows are about 60 MB larger for 255,000 of them.
--
-- A row trigger computes the text from the row's own fields on every INSERT and UPDATE, whoever
-- writes (the reach triggers of migration 0008 or SQL by hand), so it cannot disagree with them.
-- The rows there already are filled in this transaction, after the trigger exists: link writers
-- wait for it (the rows' locks), readers do not (they read the rows as they were until it
-- commits, and the service reads the text only once this migration has run).

-- migrate:up
-- cutover:allow backfill-with-ddl the rows must be filled in the transaction that creates their trigger (none missed); link writers wait for it, reads do not
ALTER TABLE genealogy_reach ADD COLUMN listing_json text;

-- Keys in the order the API has always listed them; to_json escapes what a serial or part may hold.
CREATE FUNCTION genealogy_reach_listing_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.listing_json := '{"serialId":"' || NEW.child_serial_id::text
    || '","serialNumber":' || to_json(NEW.serial_number)::text
    || ',"partId":' || to_json(NEW.part_id)::text
    || ',"source":' || to_json(NEW.source)::text
    || ',"depth":' || NEW.depth::text
    || ',"viaSerialId":"' || NEW.parent_serial_id::text
    || '","assemblyType":' || to_json(NEW.assembly_type)::text
    || ',"assemblyRelationship":' || to_json(NEW.assembly_relationship)::text || '}';
  RETURN NEW;
END
$$;

CREATE TRIGGER genealogy_reach_listing_json BEFORE INSERT OR UPDATE ON genealogy_reach
  FOR EACH ROW EXECUTE FUNCTION genealogy_reach_listing_json();

UPDATE genealogy_reach SET listing_json = NULL;

-- migrate:down
DROP TRIGGER genealogy_reach_listing_json ON genealogy_reach;
DROP FUNCTION genealogy_reach_listing_json();
ALTER TABLE genealogy_reach DROP COLUMN listing_json;
