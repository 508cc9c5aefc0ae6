import type { Queryable } from '../db/with-transaction.ts';
import type { Traversal, TreeNode } from './genealogy-store.ts';

/**
 * made-of from table genealogy_reach (migration 0008): every link below a serial with its depth
 * and number of chains, kept by triggers, read as one index range scan on the ancestor.
 *
 * PostgreSQL sends the listing as one text value, a record per row (\x1e) of nine fields
 * (\x1f): 10,000 rows as rows cost the service about twice the CPU to decode (pg's parser, a
 * string and an array per field) and PostgreSQL about as much to send. Every field but part_id
 * is a uuid, a number, a word of the schema's CHECKs or a serial of GS1 characters (no control
 * character); a part id holding a separator changes the number of fields, which the count beside
 * it shows: that listing is then read row by row instead.
 */
const FIELDS = 'child_serial_id, parent_serial_id, depth, paths, assembly_type, assembly_relationship, source, serial_number, part_id';
const PACKED_SQL = `SELECT count(*)::int AS n, string_agg(concat_ws(E'\\x1f', ${FIELDS}), E'\\x1e') AS packed
  FROM genealogy_reach WHERE ancestor_id = $1 AND depth <= $2`;
const ROWS_SQL = `SELECT ${FIELDS} FROM genealogy_reach WHERE ancestor_id = $1 AND depth <= $2`;

const SEPARATORS = /[\x1e\x1f]/;

/**
 * The fields of `serialId`'s made-of down to `limit + 1` links, nine a row, each row once (its
 * `paths` says how many chains reach it).
 */
async function readFields(db: Queryable, serialId: string, limit: number): Promise<unknown[]> {
  const packed = await db.query<{ n: number; packed: string | null }>({
    name: 'genealogy-made-of-packed',
    text: PACKED_SQL,
    values: [serialId, limit + 1],
  });
  const { n, packed: text } = packed.rows[0];
  if (n === 0 || text === null) return [];
  // One split for records and fields together: a separator inside a part id adds a field, so the
  // count is 9 a row exactly when there is none.
  const fields = text.split(SEPARATORS);
  if (fields.length === n * 9) return fields;
  const { rows } = await db.query<unknown[]>({ text: ROWS_SQL, values: [serialId, limit + 1], rowMode: 'array' });
  return rows.flat();
}

export async function madeOfFromReach(db: Queryable, serialId: string, limit: number): Promise<Traversal> {
  const fields = await readFields(db, serialId, limit);
  const nodes: TreeNode[] = [];
  let truncated = false;
  for (let at = 0; at < fields.length; at += 9) {
    const depth = Number(fields[at + 2]);
    if (depth > limit) {
      truncated = true;
      continue;
    }
    const listed: TreeNode = {
      serialId: fields[at] as string,
      serialNumber: fields[at + 7] as string,
      partId: fields[at + 8] as string,
      source: fields[at + 6] as string,
      depth,
      viaSerialId: fields[at + 1] as string,
      assemblyType: fields[at + 4] as string,
      assemblyRelationship: fields[at + 5] as string,
    };
    nodes.push(listed);
    // A serial reached by several chains of the same length is listed once per chain, as a walk
    // link by link lists it.
    for (let paths = Number(fields[at + 3]); paths > 1; paths--) nodes.push({ ...listed });
  }
  return { nodes, truncated };
}
