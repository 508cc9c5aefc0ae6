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
 * character); a part id holding a separator changes the number of records (\x1e) or of fields
 * (\x1f), which the count beside it shows: that listing is then read row by row instead.
 */
const FIELDS = 'child_serial_id, parent_serial_id, depth, paths, assembly_type, assembly_relationship, source, serial_number, part_id';
const PACKED_SQL = `SELECT count(*)::int AS n, string_agg(concat_ws(E'\\x1f', ${FIELDS}), E'\\x1e') AS packed
  FROM genealogy_reach WHERE ancestor_id = $1 AND depth <= $2`;
const ROWS_SQL = `SELECT ${FIELDS} FROM genealogy_reach WHERE ancestor_id = $1 AND depth <= $2`;

const node = (f: readonly unknown[]): TreeNode => ({
  serialId: f[0] as string,
  serialNumber: f[7] as string,
  partId: f[8] as string,
  source: f[6] as string,
  depth: Number(f[2]),
  viaSerialId: f[1] as string,
  assemblyType: f[4] as string,
  assemblyRelationship: f[5] as string,
});

/** The rows of `serialId`'s made-of down to `limit + 1` links, each once per chain. */
async function readRows(db: Queryable, serialId: string, limit: number): Promise<unknown[][]> {
  const packed = await db.query<{ n: number; packed: string | null }>({
    name: 'genealogy-made-of-packed',
    text: PACKED_SQL,
    values: [serialId, limit + 1],
  });
  const { n, packed: text } = packed.rows[0];
  if (n === 0 || text === null) return [];
  const records = text.split('\x1e');
  const rows: unknown[][] = [];
  if (records.length === n) {
    for (const record of records) {
      const fields = record.split('\x1f');
      if (fields.length !== 9) break;
      rows.push(fields);
    }
    if (rows.length === n) return rows;
  }
  const { rows: plain } = await db.query<unknown[]>({ text: ROWS_SQL, values: [serialId, limit + 1], rowMode: 'array' });
  return plain;
}

export async function madeOfFromReach(db: Queryable, serialId: string, limit: number): Promise<Traversal> {
  const rows = await readRows(db, serialId, limit);
  const nodes: TreeNode[] = [];
  let truncated = false;
  for (const row of rows) {
    if (Number(row[2]) > limit) {
      truncated = true;
      continue;
    }
    const listed = node(row);
    // A serial reached by several chains of the same length is listed once per chain, as a walk
    // link by link lists it.
    for (let paths = Number(row[3]); paths > 0; paths--) nodes.push(paths === 1 ? listed : { ...listed });
  }
  return { nodes, truncated };
}
