import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import { type Queryable, withTransaction } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { transitionVendorSerial } from '../vendor/vendor-serial-store.ts';
import { type ListingJson, madeOfFromReach, madeOfListing } from './genealogy-reach.ts';
import { createTraversalCache } from './traversal-cache.ts';

/**
 * Genealogy: edges "parent is made of child" (ISA-95 AssembledFrom), each Physical or Logical and
 * Permanent or Transient, open until valid_to (a transient kit ends; a replaced part is removed).
 *
 * A new edge is refused when it would close a cycle (the parent is already below the child) or
 * make a chain longer than SERIAL_PROPAGATION_DEPTH_LIMIT edges (longest path above the parent +
 * 1 + longest path below the child). Links are decided one at a time (a transaction advisory
 * lock), so two links racing cannot build a cycle or a too-deep chain together. Linking an
 * accepted vendor serial permanently consumes it; a vendor serial not accepted cannot be used.
 * made-of (down) reads table genealogy_reach (every link below a serial, kept by triggers, each
 * with its node as JSON: genealogy-reach.ts) and is answered as that JSON; where-used (up) is recursive SQL bounded by the limit. Both are listed by
 * depth, then serial number in code-point order. They carry no path array: links never form a cycle, and the depth bound ends the recursion anyway
 * (a row one level past the limit only tells that the listing was truncated).
 */

export const GENEALOGY_LOCK_KEY = 2_026_120_404;

export interface LinkInput {
  parentSerialId: string;
  childSerialId: string;
  assemblyType: 'physical' | 'logical';
  assemblyRelationship: 'permanent' | 'transient';
  operationCode: string | null;
}

export interface GenealogyLink {
  id: string;
  parentSerialId: string;
  childSerialId: string;
  assemblyType: string;
  assemblyRelationship: string;
  operationCode: string | null;
  validFrom: Date;
  validTo: Date | null;
}

export interface TreeNode {
  serialId: string;
  serialNumber: string;
  partId: string;
  source: string;
  /** Edges from the starting serial. */
  depth: number;
  /** The serial one step closer to the start. */
  viaSerialId: string;
  assemblyType: string;
  assemblyRelationship: string;
}

export interface Traversal {
  nodes: TreeNode[];
  /** True when the graph goes on past the depth limit (the listing stops there). */
  truncated: boolean;
}

/** Longest chain of open edges from `serialId` in one direction, up to `limit + 1`. */
async function longestPath(db: Queryable, serialId: string, direction: 'down' | 'up', limit: number): Promise<number> {
  const [from, to] = direction === 'down' ? ['parent_serial_id', 'child_serial_id'] : ['child_serial_id', 'parent_serial_id'];
  const { rows } = await db.query<{ depth: number | null }>(
    `WITH RECURSIVE walk (serial_id, depth) AS (
       SELECT $1::uuid, 0
       UNION ALL
       SELECT e.${to}, w.depth + 1
         FROM walk w JOIN serial_propagations e ON e.${from} = w.serial_id AND e.valid_to IS NULL
        WHERE w.depth <= $2
     )
     SELECT max(depth) AS depth FROM walk`,
    [serialId, limit],
  );
  return rows[0]?.depth ?? 0;
}

export async function traverse(db: Queryable, serialId: string, direction: 'down' | 'up', limit: number): Promise<Traversal> {
  // made-of comes in listing order (the index of migration 0011).
  if (direction === 'down') return madeOfFromReach(db, serialId, limit);
  const traversal = await walk(db, serialId, direction, limit);
  // Ordered here rather than in SQL: sorting 10,000 rows by a collated text cost the server more
  // than the walk itself (bench/serialization.bench.ts); code-point order is the same for serials.
  traversal.nodes.sort((a, b) => a.depth - b.depth || (a.serialNumber < b.serialNumber ? -1 : a.serialNumber > b.serialNumber ? 1 : 0));
  return traversal;
}

/**
 * The listing walked link by link (a recursive query): where-used, whose chains up are short, and
 * made-of as it was read before genealogy_reach (kept to check that table against in the tests).
 */
export async function walk(db: Queryable, serialId: string, direction: 'down' | 'up', limit: number): Promise<Traversal> {
  const [from, to] = direction === 'down' ? ['parent_serial_id', 'child_serial_id'] : ['child_serial_id', 'parent_serial_id'];
  // Each level looks its serials up by primary key inside the recursion: joining the whole walk to
  // the registry afterwards let the planner hash the entire registry (a cost that grows with every
  // serial ever registered, not with the size of the tree).
  // Rows as arrays, each turned into its node at once: 10,000 row objects beside 10,000 nodes
  // doubled the garbage the collector had to clear (node --cpu-prof of bench/serialization.bench.ts).
  const { rows } = await db.query<unknown[]>({
    text: `WITH RECURSIVE walk (serial_id, via, depth, assembly_type, assembly_relationship, serial_number, part_id, source) AS (
       SELECT e.${to}, e.${from}, 1, e.assembly_type, e.assembly_relationship, s.serial_number, s.part_id, s.source
         FROM serial_propagations e JOIN serials s ON s.id = e.${to}
        WHERE e.${from} = $1 AND e.valid_to IS NULL
       UNION ALL
       SELECT e.${to}, e.${from}, w.depth + 1, e.assembly_type, e.assembly_relationship, s.serial_number, s.part_id, s.source
         FROM walk w JOIN serial_propagations e ON e.${from} = w.serial_id AND e.valid_to IS NULL
         JOIN serials s ON s.id = e.${to}
        WHERE w.depth <= $2
     )
     SELECT serial_id, via, depth, assembly_type, assembly_relationship, serial_number, part_id, source FROM walk`,
    values: [serialId, limit],
    rowMode: 'array',
  });
  const nodes: TreeNode[] = [];
  let truncated = false;
  for (const row of rows) {
    const depth = row[2] as number;
    if (depth > limit) {
      truncated = true;
      continue;
    }
    nodes.push({
      serialId: row[0] as string,
      serialNumber: row[5] as string,
      partId: row[6] as string,
      source: row[7] as string,
      depth,
      viaSerialId: row[1] as string,
      assemblyType: row[3] as string,
      assemblyRelationship: row[4] as string,
    });
  }
  return { nodes, truncated };
}

export interface GenealogyStore {
  /** made-of and where-used answers may be shared between callers: read them, never change them. */
  link(input: LinkInput, actor: { subject: string; requestId: string }): Promise<Result<{ link: GenealogyLink; chainDepth: number }>>;
  unlink(linkId: string, reason: string, actor: { subject: string; requestId: string }): Promise<Result<{ link: GenealogyLink }>>;
  /** The listing as JSON text, as PostgreSQL built it (genealogy-reach.ts). */
  madeOf(serialId: string): Promise<ListingJson>;
  whereUsed(serialId: string): Promise<Traversal>;
}

const linkFromRow = (row: Record<string, unknown>): GenealogyLink => ({
  id: row.id as string,
  parentSerialId: row.parent_serial_id as string,
  childSerialId: row.child_serial_id as string,
  assemblyType: row.assembly_type as string,
  assemblyRelationship: row.assembly_relationship as string,
  operationCode: (row.operation_code as string | null) ?? null,
  validFrom: row.valid_from as Date,
  validTo: (row.valid_to as Date | null) ?? null,
});

/**
 * `cacheNodes`: how many listed nodes the made-of and where-used listings kept in memory may hold
 * in all (SERIAL_GENEALOGY_CACHE_NODES; 0 reads every listing from the database).
 */
export function createGenealogyStore(pool: pg.Pool, options: { depthLimit: number; cacheNodes?: number }): GenealogyStore {
  const limit = options.depthLimit;
  const cache = createTraversalCache({ maxNodes: options.cacheNodes ?? 0 });
  return {
    link: (input, actor) =>
      withTransaction(pool, async (client) => {
        if (input.parentSerialId === input.childSerialId) return refuse(422, 'genealogy_cycle', 'a serial cannot be made of itself');
        await client.query('SELECT pg_advisory_xact_lock($1)', [GENEALOGY_LOCK_KEY]);
        const found = await client.query<{ id: string; source: string; serial_number: string; part_id: string; retired_at: Date | null }>(
          'SELECT id, source, serial_number, part_id, retired_at FROM serials WHERE id = ANY ($1::uuid[])',
          [[input.parentSerialId, input.childSerialId]],
        );
        const parent = found.rows.find((row) => row.id === input.parentSerialId);
        const child = found.rows.find((row) => row.id === input.childSerialId);
        if (!parent || !child) return refuse(404, 'serial_not_found', `no serial ${!parent ? input.parentSerialId : input.childSerialId}`);
        if (parent.retired_at || child.retired_at)
          return refuse(409, 'serial_retired', 'a resolved placeholder is retired: link its final serial');
        const below = await longestPath(client, input.childSerialId, 'down', limit);
        const cycle = await client.query(
          `WITH RECURSIVE walk (serial_id, depth) AS (
             SELECT $1::uuid, 0
             UNION
             SELECT e.child_serial_id, w.depth + 1 FROM walk w JOIN serial_propagations e ON e.parent_serial_id = w.serial_id AND e.valid_to IS NULL
              WHERE w.depth <= $3
           ) SELECT 1 FROM walk WHERE serial_id = $2 LIMIT 1`,
          [input.childSerialId, input.parentSerialId, limit],
        );
        if (cycle.rows.length > 0) {
          return refuse(
            422,
            'genealogy_cycle',
            `${child.serial_number} is already made (directly or not) of ${parent.serial_number}: linking it below ${parent.serial_number} would make a cycle`,
          );
        }
        const above = await longestPath(client, input.parentSerialId, 'up', limit);
        const chainDepth = above + 1 + below;
        if (chainDepth > limit) {
          return refuse(
            422,
            'genealogy_too_deep',
            `the link would make a chain of ${chainDepth} levels, past SERIAL_PROPAGATION_DEPTH_LIMIT (${limit})`,
            {
              chainDepth,
              depthLimit: limit,
            },
          );
        }
        if (child.source === 'vendor') {
          const vendor = await client.query<{ status: string }>('SELECT status FROM vendor_serials WHERE id = $1 FOR UPDATE', [child.id]);
          const status = vendor.rows[0]?.status;
          if (status !== 'accepted')
            return refuse(
              409,
              'component_not_accepted',
              `vendor serial ${child.serial_number} is ${status}: only an accepted unit can be used in an assembly`,
            );
          if (input.assemblyRelationship === 'permanent') {
            const consumed = await transitionVendorSerial(client, child.id, 'consume', null, actor);
            if (!consumed.ok) return consumed;
          }
        }
        const existing = await client.query(
          'SELECT 1 FROM serial_propagations WHERE parent_serial_id = $1 AND child_serial_id = $2 AND valid_to IS NULL',
          [input.parentSerialId, input.childSerialId],
        );
        if (existing.rows.length > 0)
          return refuse(409, 'genealogy_link_exists', `${parent.serial_number} is already linked to ${child.serial_number}`);
        const { rows } = await client.query(
          `INSERT INTO serial_propagations (serial_id, parent_serial_id, child_serial_id, assembly_type, assembly_relationship, operation_code, created_by)
           VALUES ($1, $1, $2, $3, $4, $5, $6) RETURNING *`,
          [input.parentSerialId, input.childSerialId, input.assemblyType, input.assemblyRelationship, input.operationCode, actor.subject],
        );
        const link = linkFromRow(rows[0]);
        await writeAudit(client, [
          {
            eventType: 'genealogy_link:created',
            entityType: 'genealogy_link',
            entityId: link.id,
            serialNumber: parent.serial_number,
            partId: parent.part_id,
            performedBy: actor.subject,
            after: { parent: parent.serial_number, child: child.serial_number, childPart: child.part_id, ...input, chainDepth },
            requestId: actor.requestId,
          },
        ]);
        return { ok: true, link, chainDepth };
      }),
    unlink: (linkId, reason, actor) =>
      withTransaction(pool, async (client) => {
        const { rows } = await client.query(
          'UPDATE serial_propagations SET valid_to = now() WHERE id = $1 AND valid_to IS NULL RETURNING *',
          [linkId],
        );
        if (rows.length === 0) return refuse(404, 'genealogy_link_not_found', `no open genealogy link ${linkId}`);
        const link = linkFromRow(rows[0]);
        await writeAudit(client, [
          {
            eventType: 'genealogy_link:ended',
            entityType: 'genealogy_link',
            entityId: link.id,
            performedBy: actor.subject,
            reason,
            before: { validTo: null },
            after: { validTo: link.validTo },
            requestId: actor.requestId,
          },
        ]);
        return { ok: true, link };
      }),
    madeOf: (serialId) =>
      cache.get(
        pool,
        `down:${serialId}`,
        () => madeOfListing(pool, serialId, limit),
        (listing) => listing.nodes,
      ),
    whereUsed: (serialId) =>
      cache.get(
        pool,
        `up:${serialId}`,
        () => traverse(pool, serialId, 'up', limit),
        (traversal) => traversal.nodes.length,
      ),
  };
}
