import type { UniquenessScope } from '../config/serialization-config.ts';
import type { Queryable } from '../db/with-transaction.ts';

/**
 * The registry of every serial (table `serials`), where uniqueness in scope is decided.
 *
 * A serial registered in scope S for part P (and vendor V) conflicts with a live serial of the
 * same normalized value when either of them is global, or both belong to P and either is
 * per-part, or both are per-vendor for V and P. Registrations of one value take a transaction
 * advisory lock on it first, so two requests for the same value (on any instance) are decided one
 * after the other; the unique index on (scope_type, scope_key, normalized_serial) backs it up.
 */

export interface SerialRegistration {
  source: 'vendor' | 'system' | 'placeholder';
  serialNumber: string;
  normalized: string;
  partId: string;
  vendorKey: string | null;
  scope: UniquenessScope;
}

export interface RegisteredSerial {
  id: string;
  serialNumber: string;
}

export interface ConflictingSerial {
  /** Index of the registration in the batch that conflicts. */
  index: number;
  id: string;
  serialNumber: string;
  partId: string;
  scope: UniquenessScope;
  source: string;
}

export type RegistrationResult = { ok: true; serials: RegisteredSerial[] } | { ok: false; conflicts: ConflictingSerial[] };

/** The key that makes a scope: '' for global, the part, or vendor and part. */
export function scopeKey(scope: UniquenessScope, partId: string, vendorKey: string | null): string {
  if (scope === 'global') return '';
  if (scope === 'part') return partId;
  return `${vendorKey ?? ''}\u001f${partId}`;
}

/** Vendor names compare trimmed and case-folded. */
export const vendorKeyOf = (vendorName: string) => vendorName.trim().toLowerCase();

/**
 * Takes the transaction advisory lock of each normalized value (its hashtext), sorted by that key,
 * so that two batches sharing values take their locks in the same order (no deadlock). Sorted by
 * the integer key, not by the text: a collated sort of 1,000 values cost about as much as taking
 * their locks (EXPLAIN ANALYZE, 3 December 2026). Run it as a statement of its own before
 * the check: a statement's snapshot is taken when it starts, so a check in the statement that waited
 * for the lock would not see what the holder committed meanwhile.
 */
export async function lockSerialValues(client: Queryable, normalized: readonly string[]): Promise<void> {
  await client.query({
    name: 'serials-lock-values',
    text: 'SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtext(n) AS k FROM unnest($1::text[]) AS n ORDER BY k) AS v',
    values: [normalized],
  });
}

/**
 * The live serials a registration of (normalized value, part, vendor, scope) would clash with: SQL
 * of a lateral lookup by normalized value, `c` being the candidate row. Lateral, so that each value
 * is looked up by index however stale the table's statistics are (a join let the planner scan the
 * whole registry of a newly filled table: bench/serialization.bench.ts). OFFSET 0 keeps the planner
 * from pulling the subquery up into that same join.
 */
export const CLASHING_SERIAL_SQL = `SELECT s.id, s.serial_number, s.part_id, s.scope_type, s.source
  FROM serials s
 WHERE s.normalized_serial = c.normalized AND s.retired_at IS NULL
   AND (s.scope_type = 'global' OR c.scope_type = 'global'
     OR (s.part_id = c.part_id AND (s.scope_type = 'part' OR c.scope_type = 'part'))
     OR (s.scope_type = 'vendor' AND c.scope_type = 'vendor' AND s.part_id = c.part_id AND s.vendor_key = c.vendor_key))
OFFSET 0`;

/** Registers a batch in the caller's transaction; nothing is written when any of it conflicts. */
export async function registerSerials(client: Queryable, items: readonly SerialRegistration[]): Promise<RegistrationResult> {
  if (items.length === 0) return { ok: true, serials: [] };
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const first = seen.get(item.normalized);
    if (first !== undefined) {
      return {
        ok: false,
        conflicts: [{ index, id: '', serialNumber: items[first].serialNumber, partId: item.partId, scope: item.scope, source: 'batch' }],
      };
    }
    seen.set(item.normalized, index);
  }
  const normalized = items.map((item) => item.normalized);
  const parts = items.map((item) => item.partId);
  const vendors = items.map((item) => item.vendorKey);
  const scopes = items.map((item) => item.scope);
  await lockSerialValues(client, normalized);
  const found = await client.query<{
    ord: string;
    id: string;
    serial_number: string;
    part_id: string;
    scope_type: UniquenessScope;
    source: string;
  }>(
    `SELECT c.ord, s.id, s.serial_number, s.part_id, s.scope_type, s.source
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS c (normalized, part_id, vendor_key, scope_type, ord)
      CROSS JOIN LATERAL (${CLASHING_SERIAL_SQL}) AS s
      ORDER BY c.ord`,
    [normalized, parts, vendors, scopes],
  );
  if (found.rows.length > 0) {
    return {
      ok: false,
      conflicts: found.rows.map((row) => ({
        index: Number(row.ord) - 1,
        id: row.id,
        serialNumber: row.serial_number,
        partId: row.part_id,
        scope: row.scope_type,
        source: row.source,
      })),
    };
  }
  const inserted = await client.query<{ id: string; normalized_serial: string; serial_number: string }>(
    `INSERT INTO serials (source, serial_number, normalized_serial, part_id, vendor_key, scope_type, scope_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
     RETURNING id, normalized_serial, serial_number`,
    [
      items.map((item) => item.source),
      items.map((item) => item.serialNumber),
      normalized,
      parts,
      vendors,
      scopes,
      items.map((item) => scopeKey(item.scope, item.partId, item.vendorKey)),
    ],
  );
  const byValue = new Map(inserted.rows.map((row) => [row.normalized_serial, { id: row.id, serialNumber: row.serial_number }]));
  return { ok: true, serials: normalized.map((value) => byValue.get(value) as RegisteredSerial) };
}
