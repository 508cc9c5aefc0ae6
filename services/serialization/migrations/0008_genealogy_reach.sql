-- What every serial is made of, kept as rows: made-of becomes one index range scan.
--
-- A made-of listing walked the open links level by level (a recursive query): one index lookup of
-- the links and one of the serial per listed node, 10,000 of each for a 10,000-node assembly. Here
-- each row is (ancestor, link, depth): the link `link_id` (parent -> child) is reached from
-- `ancestor_id` by `paths` distinct chains of open links of `depth` links each (a serial used in
-- two assemblies of one product is reached twice; a tree has paths = 1). A row carries what the
-- listing shows of its link and of the child serial, so a listing reads nothing else
-- (src/genealogy/genealogy-reach.ts).
--
-- Triggers keep it in the transaction of every change to the open links: a link added, ended,
-- moved (a placeholder's links moving to its serial), deleted or truncated, whoever writes it
-- (the service or SQL by hand), and a change of a serial's number, part or source. Adding the
-- link p -> c adds, for every ancestor a of p (and p itself) and every row of c (and the link
-- itself), the row (a, link, depth a..p + 1 + depth below c) with paths multiplied; ending it
-- takes the same counts away. This holds while the open links have no cycle, which linking
-- refuses.
--
-- The rows are filled from the open links in the transaction that creates the triggers, so that
-- no link is missed or counted twice: writers of links and of serial numbers wait for it (the
-- triggers' locks); it took 5.1 s for 10,000 links 50 levels deep (255,000 rows) on the shared
-- project machine at load average 8.6 (3 December 2026). Through the triggers, one link at depth
-- 25 of that tree costs about 1.5 ms (10,000 in one INSERT took 14 to 17 s).

-- migrate:up
-- cutover:allow prefer-bigint genealogy_reach.depth counts links of one chain, at most SERIAL_PROPAGATION_DEPTH_LIMIT
-- cutover:allow backfill-with-ddl the rows must be filled in the transaction that creates their triggers (no link missed or counted twice); links wait for it, reads do not
CREATE TABLE genealogy_reach (
  ancestor_id            uuid    NOT NULL,
  link_id                uuid    NOT NULL,
  depth                  integer NOT NULL CHECK (depth >= 1),
  paths                  bigint  NOT NULL CHECK (paths >= 1),
  parent_serial_id       uuid    NOT NULL,
  child_serial_id        uuid    NOT NULL,
  assembly_type          text    NOT NULL,
  assembly_relationship  text    NOT NULL,
  serial_number          text    NOT NULL,
  part_id                text    NOT NULL,
  source                 text    NOT NULL,
  PRIMARY KEY (ancestor_id, link_id, depth)
);
-- The ancestors of a serial (rows of the links that end at it), and its rows to rename.
CREATE INDEX genealogy_reach_child_idx ON genealogy_reach (child_serial_id);

-- Adds (sign 1) or takes away (sign -1) the chains through one open link.
CREATE FUNCTION genealogy_reach_change(p_link uuid, p_parent uuid, p_child uuid, p_type text, p_relationship text, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_sign > 0 THEN
    INSERT INTO genealogy_reach AS g (ancestor_id, link_id, depth, paths, parent_serial_id, child_serial_id, assembly_type,
                                      assembly_relationship, serial_number, part_id, source)
    SELECT a.ancestor_id, b.link_id, a.depth + b.depth, a.paths * b.paths, b.parent_serial_id, b.child_serial_id, b.assembly_type,
           b.assembly_relationship, b.serial_number, b.part_id, b.source
      FROM (SELECT p_parent AS ancestor_id, 0 AS depth, 1::bigint AS paths
            UNION ALL
            SELECT r.ancestor_id, r.depth, sum(r.paths)::bigint FROM genealogy_reach r WHERE r.child_serial_id = p_parent
             GROUP BY r.ancestor_id, r.depth) AS a
     CROSS JOIN (SELECT p_link AS link_id, 1 AS depth, 1::bigint AS paths, p_parent AS parent_serial_id, p_child AS child_serial_id,
                        p_type AS assembly_type, p_relationship AS assembly_relationship, s.serial_number, s.part_id, s.source
                   FROM serials s WHERE s.id = p_child
                 UNION ALL
                 SELECT r.link_id, r.depth + 1, r.paths, r.parent_serial_id, r.child_serial_id, r.assembly_type, r.assembly_relationship,
                        r.serial_number, r.part_id, r.source
                   FROM genealogy_reach r WHERE r.ancestor_id = p_child) AS b
    ON CONFLICT (ancestor_id, link_id, depth) DO UPDATE SET paths = g.paths + EXCLUDED.paths;
  ELSE
    -- Neither statement changes the rows the pairs are computed from (ancestors of the parent,
    -- rows below the child): with no cycle, none of those is reached through this link.
    DELETE FROM genealogy_reach g USING (
      SELECT a.ancestor_id, b.link_id, a.depth + b.depth AS depth, a.paths * b.paths AS paths
        FROM (SELECT p_parent AS ancestor_id, 0 AS depth, 1::bigint AS paths
              UNION ALL
              SELECT r.ancestor_id, r.depth, sum(r.paths)::bigint FROM genealogy_reach r WHERE r.child_serial_id = p_parent
               GROUP BY r.ancestor_id, r.depth) AS a
       CROSS JOIN (SELECT p_link AS link_id, 1 AS depth, 1::bigint AS paths
                   UNION ALL
                   SELECT r.link_id, r.depth + 1, r.paths FROM genealogy_reach r WHERE r.ancestor_id = p_child) AS b
    ) AS x
     WHERE g.ancestor_id = x.ancestor_id AND g.link_id = x.link_id AND g.depth = x.depth AND g.paths <= x.paths;
    UPDATE genealogy_reach g SET paths = g.paths - x.paths FROM (
      SELECT a.ancestor_id, b.link_id, a.depth + b.depth AS depth, a.paths * b.paths AS paths
        FROM (SELECT p_parent AS ancestor_id, 0 AS depth, 1::bigint AS paths
              UNION ALL
              SELECT r.ancestor_id, r.depth, sum(r.paths)::bigint FROM genealogy_reach r WHERE r.child_serial_id = p_parent
               GROUP BY r.ancestor_id, r.depth) AS a
       CROSS JOIN (SELECT p_link AS link_id, 1 AS depth, 1::bigint AS paths
                   UNION ALL
                   SELECT r.link_id, r.depth + 1, r.paths FROM genealogy_reach r WHERE r.ancestor_id = p_child) AS b
    ) AS x
     WHERE g.ancestor_id = x.ancestor_id AND g.link_id = x.link_id AND g.depth = x.depth;
  END IF;
END
$$;

CREATE FUNCTION genealogy_reach_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NULL
     AND (OLD.parent_serial_id, OLD.child_serial_id, OLD.assembly_type, OLD.assembly_relationship)
         = (NEW.parent_serial_id, NEW.child_serial_id, NEW.assembly_type, NEW.assembly_relationship) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.valid_to IS NULL THEN
    PERFORM genealogy_reach_change(OLD.id, OLD.parent_serial_id, OLD.child_serial_id, OLD.assembly_type, OLD.assembly_relationship, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.valid_to IS NULL THEN
    PERFORM genealogy_reach_change(NEW.id, NEW.parent_serial_id, NEW.child_serial_id, NEW.assembly_type, NEW.assembly_relationship, 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION genealogy_reach_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE genealogy_reach;
  RETURN NULL;
END
$$;

CREATE FUNCTION genealogy_reach_serial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE genealogy_reach SET serial_number = NEW.serial_number, part_id = NEW.part_id, source = NEW.source
   WHERE child_serial_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER serial_propagations_reach_insert AFTER INSERT ON serial_propagations
  FOR EACH ROW WHEN (NEW.valid_to IS NULL) EXECUTE FUNCTION genealogy_reach_track();
CREATE TRIGGER serial_propagations_reach_update AFTER UPDATE ON serial_propagations
  FOR EACH ROW WHEN (OLD.valid_to IS NULL OR NEW.valid_to IS NULL) EXECUTE FUNCTION genealogy_reach_track();
CREATE TRIGGER serial_propagations_reach_delete AFTER DELETE ON serial_propagations
  FOR EACH ROW WHEN (OLD.valid_to IS NULL) EXECUTE FUNCTION genealogy_reach_track();
CREATE TRIGGER serial_propagations_reach_truncate AFTER TRUNCATE ON serial_propagations
  FOR EACH STATEMENT EXECUTE FUNCTION genealogy_reach_clear();
CREATE TRIGGER serials_genealogy_reach AFTER UPDATE OF serial_number, part_id, source ON serials
  FOR EACH ROW WHEN ((OLD.serial_number, OLD.part_id, OLD.source) IS DISTINCT FROM (NEW.serial_number, NEW.part_id, NEW.source))
  EXECUTE FUNCTION genealogy_reach_serial();

-- The links open now, as the triggers would have added them: every chain, counted per
-- (ancestor, link, depth). The depth bound only stops a cycle made by hand from running forever.
INSERT INTO genealogy_reach (ancestor_id, link_id, depth, paths, parent_serial_id, child_serial_id, assembly_type,
                             assembly_relationship, serial_number, part_id, source)
WITH RECURSIVE chain (ancestor_id, link_id, depth, child_serial_id) AS (
  SELECT e.parent_serial_id, e.id, 1, e.child_serial_id FROM serial_propagations e WHERE e.valid_to IS NULL
  UNION ALL
  SELECT c.ancestor_id, e.id, c.depth + 1, e.child_serial_id
    FROM chain c JOIN serial_propagations e ON e.parent_serial_id = c.child_serial_id AND e.valid_to IS NULL
   WHERE c.depth < 10000
)
SELECT c.ancestor_id, c.link_id, c.depth, c.paths, e.parent_serial_id, e.child_serial_id, e.assembly_type, e.assembly_relationship,
       s.serial_number, s.part_id, s.source
  FROM (SELECT ancestor_id, link_id, depth, count(*) AS paths FROM chain GROUP BY ancestor_id, link_id, depth) AS c
  JOIN serial_propagations e ON e.id = c.link_id
  JOIN serials s ON s.id = e.child_serial_id;

-- migrate:down
DROP TRIGGER serials_genealogy_reach ON serials;
DROP TRIGGER serial_propagations_reach_truncate ON serial_propagations;
DROP TRIGGER serial_propagations_reach_delete ON serial_propagations;
DROP TRIGGER serial_propagations_reach_update ON serial_propagations;
DROP TRIGGER serial_propagations_reach_insert ON serial_propagations;
DROP FUNCTION genealogy_reach_serial();
DROP FUNCTION genealogy_reach_clear();
DROP FUNCTION genealogy_reach_track();
DROP FUNCTION genealogy_reach_change(uuid, uuid, uuid, text, text, integer);
DROP TABLE genealogy_reach;
