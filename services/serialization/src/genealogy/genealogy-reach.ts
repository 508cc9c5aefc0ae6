import type { Queryable } from '../db/with-transaction.ts';
import type { Traversal, TreeNode } from './genealogy-store.ts';

/**
 * made-of from table genealogy_reach (migration 0008): every link below a serial with its depth
 * and number of chains, kept by triggers, each row with its listed node as JSON text (migration
 * 0010), read in listing order by an index-only range scan (migration 0011).
 *
 * PostgreSQL joins the rows' texts into the listing's JSON array, which the service sends as it
 * comes: no parsing, no object per node, no sort and no JSON.stringify of 10,000 nodes in the
 * service. The order is the index's (depth, then serial number in code-point order, as COLLATE
 * "C" compares UTF-8); the aggregate reads its rows in the order of the subquery, which is one
 * plain aggregate over one sorted scan.
 */
const LISTING_SQL = `SELECT coalesce(sum(r.paths) FILTER (WHERE r.depth <= $2), 0)::bigint AS nodes,
       coalesce(bool_or(r.depth > $2), false) AS truncated,
       string_agg(CASE WHEN r.paths = 1 THEN r.listing_json ELSE array_to_string(array_fill(r.listing_json, ARRAY[r.paths::int]), ',') END, ',')
         FILTER (WHERE r.depth <= $2) AS listing
  FROM (SELECT depth, paths, listing_json FROM genealogy_reach
         WHERE ancestor_id = $1 AND depth <= $2 + 1
         ORDER BY depth, serial_number COLLATE "C") AS r`;

/** A made-of listing as the API answers it: `json` is the JSON array of its nodes. */
export interface ListingJson {
  json: string;
  /** How many nodes the array holds. */
  nodes: number;
  /** True when the genealogy goes on past the depth limit. */
  truncated: boolean;
}

/**
 * `serialId`'s made-of down to `limit` links as JSON: a serial reached by several chains of the
 * same length is listed once per chain, as a walk link by link lists it.
 */
export async function madeOfListing(db: Queryable, serialId: string, limit: number): Promise<ListingJson> {
  const { rows } = await db.query<{ nodes: string; truncated: boolean; listing: string | null }>({
    name: 'genealogy-made-of-listing',
    text: LISTING_SQL,
    values: [serialId, limit],
  });
  const { nodes, truncated, listing } = rows[0];
  return { json: `[${listing ?? ''}]`, nodes: Number(nodes), truncated };
}

/** The answer of GET /genealogy/:serialId/made-of: the listing's JSON placed as it is. */
export const madeOfBody = (serialId: string, listing: ListingJson): string =>
  `{"serialId":${JSON.stringify(serialId)},"nodes":${listing.json},"truncated":${listing.truncated}}`;

/** The same made-of as node objects (tests and callers that read the nodes). */
export async function madeOfFromReach(db: Queryable, serialId: string, limit: number): Promise<Traversal> {
  const listing = await madeOfListing(db, serialId, limit);
  return { nodes: JSON.parse(listing.json) as TreeNode[], truncated: listing.truncated };
}
