-- A version number of the genealogy, raised in the same transaction as any change to it.
--
-- A made-of or where-used listing of a large assembly costs far more than reading one row, so the
-- service keeps recent listings in memory with the version they were read at and serves one again
-- only while the version is unchanged (src/genealogy/traversal-cache.ts). Statement triggers raise
-- it, so that every writer of links (a link, its end, a placeholder's links moving to its serial,
-- or SQL by hand) invalidates the listings, and a change of what a listing shows of a serial too.
-- Writers of links already take turns (links are decided one at a time): the row lock of the
-- version adds no new waiting to them.

-- migrate:up
-- cutover:allow prefer-bigint genealogy_version.id is the single row 1 (CHECK id = 1)
CREATE TABLE genealogy_version (
  id       smallint PRIMARY KEY CHECK (id = 1),
  version  bigint   NOT NULL
);
INSERT INTO genealogy_version (id, version) VALUES (1, 0);

CREATE FUNCTION genealogy_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE genealogy_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER serial_propagations_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON serial_propagations
  FOR EACH STATEMENT EXECUTE FUNCTION genealogy_version_bump();
CREATE TRIGGER serials_genealogy_version AFTER UPDATE OF serial_number, part_id, source ON serials
  FOR EACH STATEMENT EXECUTE FUNCTION genealogy_version_bump();

-- migrate:down
DROP TRIGGER serials_genealogy_version ON serials;
DROP TRIGGER serial_propagations_version ON serial_propagations;
DROP FUNCTION genealogy_version_bump();
DROP TABLE genealogy_version;
