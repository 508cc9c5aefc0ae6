-- system_generated_serials' references (its id is a serial of the registry, its pattern_id a
-- pattern) checked once per statement instead of once per row.
--
-- A foreign key checks each inserted row on its own (a trigger call, a lookup and a KEY SHARE lock
-- of the referenced row); for a batch of 1,000 generated serials the two keys cost about 20 µs of
-- PostgreSQL CPU per serial, a third of the batch (one backend, /proc/<pid>/stat, 3 December
-- 2026, load average 11-18; the same batches with the keys dropped). Statement triggers with
-- transition tables check the same: an inserted or updated row whose id is not in `serials` or
-- whose pattern is not in `serial_patterns` fails its statement (SQLSTATE 23503, as a foreign key
-- would), and deleting, re-keying or truncating a referenced serial or pattern fails too.
-- Like a foreign key, the insert check takes a KEY SHARE lock of the rows it references, in one
-- set-wise statement per table instead of one per row: a delete of a referenced serial or pattern
-- that races the insert waits for it and is then refused, or wins and the insert fails.

-- migrate:up
ALTER TABLE system_generated_serials DROP CONSTRAINT system_generated_serials_id_fkey;
ALTER TABLE system_generated_serials DROP CONSTRAINT system_generated_serials_pattern_id_fkey;

CREATE FUNCTION system_generated_serials_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  PERFORM 1 FROM serials s WHERE s.id IN (SELECT id FROM written) FOR KEY SHARE OF s;
  PERFORM 1 FROM serial_patterns p WHERE p.id IN (SELECT DISTINCT pattern_id FROM written) FOR KEY SHARE OF p;
  SELECT w.id::text INTO missing FROM written w WHERE NOT EXISTS (SELECT 1 FROM serials s WHERE s.id = w.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'system_generated_serials: id % is not a serial of the registry', missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT w.pattern_id INTO missing FROM (SELECT DISTINCT pattern_id FROM written) w
   WHERE NOT EXISTS (SELECT 1 FROM serial_patterns p WHERE p.id = w.pattern_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'system_generated_serials: pattern % does not exist', missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION system_generated_serials_check_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM system_generated_serials) THEN
      RAISE EXCEPTION '% is referenced by system_generated_serials: TRUNCATE refused', TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation';
    END IF;
  ELSIF TG_TABLE_NAME = 'serials' THEN
    SELECT g.id::text INTO held FROM gone g JOIN system_generated_serials x ON x.id = g.id
     WHERE NOT EXISTS (SELECT 1 FROM serials s WHERE s.id = g.id) LIMIT 1;
  ELSE
    SELECT g.id INTO held FROM gone g WHERE EXISTS (SELECT 1 FROM system_generated_serials x WHERE x.pattern_id = g.id)
       AND NOT EXISTS (SELECT 1 FROM serial_patterns p WHERE p.id = g.id) LIMIT 1;
  END IF;
  IF held IS NOT NULL THEN
    RAISE EXCEPTION '% % is referenced by system_generated_serials', TG_TABLE_NAME, held USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER system_generated_serials_references_insert AFTER INSERT ON system_generated_serials
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_references();
CREATE TRIGGER system_generated_serials_references_update AFTER UPDATE ON system_generated_serials
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_references();
CREATE TRIGGER serials_generated_delete AFTER DELETE ON serials
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();
CREATE TRIGGER serials_generated_update AFTER UPDATE ON serials
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();
CREATE TRIGGER serials_generated_truncate BEFORE TRUNCATE ON serials
  FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();
CREATE TRIGGER serial_patterns_generated_delete AFTER DELETE ON serial_patterns
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();
CREATE TRIGGER serial_patterns_generated_update AFTER UPDATE ON serial_patterns
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();
CREATE TRIGGER serial_patterns_generated_truncate BEFORE TRUNCATE ON serial_patterns
  FOR EACH STATEMENT EXECUTE FUNCTION system_generated_serials_check_referenced();

-- migrate:down
DROP TRIGGER serial_patterns_generated_truncate ON serial_patterns;
DROP TRIGGER serial_patterns_generated_update ON serial_patterns;
DROP TRIGGER serial_patterns_generated_delete ON serial_patterns;
DROP TRIGGER serials_generated_truncate ON serials;
DROP TRIGGER serials_generated_update ON serials;
DROP TRIGGER serials_generated_delete ON serials;
DROP TRIGGER system_generated_serials_references_update ON system_generated_serials;
DROP TRIGGER system_generated_serials_references_insert ON system_generated_serials;
DROP FUNCTION system_generated_serials_check_referenced();
DROP FUNCTION system_generated_serials_check_references();
-- cutover:allow foreign-key-not-valid the keys held before this migration's up step and its triggers kept them since: NOT VALID then VALIDATE would add nothing but a second step
ALTER TABLE system_generated_serials ADD CONSTRAINT system_generated_serials_pattern_id_fkey FOREIGN KEY (pattern_id) REFERENCES serial_patterns (id);
ALTER TABLE system_generated_serials ADD CONSTRAINT system_generated_serials_id_fkey FOREIGN KEY (id) REFERENCES serials (id);
