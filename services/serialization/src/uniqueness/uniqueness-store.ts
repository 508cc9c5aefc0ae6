import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { withTransaction } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { checkSerial } from '../serials/normalize-serial.ts';
import { insertVendorSerial, type ReceiveInput } from '../vendor/vendor-serial-store.ts';
import { vendorKeyOf } from './serial-registry.ts';
import type { UniquenessCache } from './uniqueness-cache.ts';

/**
 * Scoped uniqueness: the read-only check (cache first for "taken", the database otherwise) and
 * the conflicts recorded when a duplicate was refused, which someone resolves: `rejected` (the
 * unit keeps no serial from this attempt) or `relabelled` (it is received under a new serial,
 * checked like any other). A conflict is never resolved by overwriting the serial that exists.
 */

export interface UniquenessAnswer {
  serialNumber: string;
  normalized: string;
  scope: UniquenessScope;
  taken: boolean;
  /** Where the answer came from: the Redis cache (only ever "taken") or the database. */
  source: 'cache' | 'database';
  conflictingSerialId: string | null;
}

export interface UniquenessCheck {
  id: string;
  serialNumber: string;
  partId: string;
  vendorName: string | null;
  scope: UniquenessScope;
  source: string;
  status: 'conflict' | 'rejected' | 'relabelled';
  conflictingSerialId: string;
  resolutionSerialId: string | null;
  resolutionReason: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

const checkFromRow = (row: Record<string, unknown>): UniquenessCheck => ({
  id: row.id as string,
  serialNumber: row.serial_number as string,
  partId: row.part_id as string,
  vendorName: (row.vendor_name as string | null) ?? null,
  scope: row.scope as UniquenessScope,
  source: row.source as string,
  status: row.status as UniquenessCheck['status'],
  conflictingSerialId: row.conflicting_serial_id as string,
  resolutionSerialId: (row.resolution_serial_id as string | null) ?? null,
  resolutionReason: (row.resolution_reason as string | null) ?? null,
  resolvedBy: (row.resolved_by as string | null) ?? null,
  resolvedAt: (row.resolved_at as Date | null) ?? null,
  createdAt: row.created_at as Date,
});

export interface UniquenessStore {
  check(input: {
    serialNumber: string;
    partId: string;
    vendorName: string | null;
    scope: UniquenessScope;
  }): Promise<Result<{ answer: UniquenessAnswer }>>;
  listChecks(filter: { status?: string; partId?: string; limit: number }): Promise<UniquenessCheck[]>;
  resolve(
    id: string,
    input: { resolution: 'rejected' | 'relabelled'; serialNumber?: string; reason: string },
    actor: { subject: string; requestId: string },
  ): Promise<Result<{ check: UniquenessCheck }>>;
}

export function createUniquenessStore(pool: pg.Pool, cache: UniquenessCache): UniquenessStore {
  return {
    async check(input) {
      const valid = checkSerial(input.serialNumber);
      if (!valid.ok) return refuse(422, 'serial_malformed', `serialNumber ${valid.reason}`);
      const vendorKey = input.vendorName ? vendorKeyOf(input.vendorName) : null;
      if (input.scope === 'vendor' && vendorKey === null) return refuse(400, 'vendor_required', 'scope vendor needs vendorName');
      const base = { serialNumber: input.serialNumber.trim(), normalized: valid.normalized, scope: input.scope };
      if (await cache.isTaken(input.scope, input.partId, vendorKey, valid.normalized)) {
        return { ok: true, answer: { ...base, taken: true, source: 'cache', conflictingSerialId: null } };
      }
      const { rows } = await pool.query<{ id: string }>(
        `SELECT s.id FROM serials s WHERE s.normalized_serial = $1 AND s.retired_at IS NULL
            AND (s.scope_type = 'global' OR $2 = 'global'
                 OR (s.part_id = $3 AND (s.scope_type = 'part' OR $2 = 'part'))
                 OR (s.scope_type = 'vendor' AND $2 = 'vendor' AND s.part_id = $3 AND s.vendor_key = $4))
          LIMIT 1`,
        [valid.normalized, input.scope, input.partId, vendorKey],
      );
      const taken = rows.length > 0;
      if (taken) await cache.markTaken(input.scope, input.partId, vendorKey, valid.normalized);
      return { ok: true, answer: { ...base, taken, source: 'database', conflictingSerialId: rows[0]?.id ?? null } };
    },
    async listChecks(filter) {
      const { rows } = await pool.query(
        `SELECT * FROM serial_uniqueness_checks WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR part_id = $2)
          ORDER BY created_at DESC LIMIT $3`,
        [filter.status ?? null, filter.partId ?? null, filter.limit],
      );
      return rows.map(checkFromRow);
    },
    resolve: (id, input, actor) =>
      withTransaction(pool, async (client) => {
        const { rows } = await client.query('SELECT * FROM serial_uniqueness_checks WHERE id = $1 FOR UPDATE', [id]);
        if (rows.length === 0) return refuse(404, 'uniqueness_check_not_found', `no uniqueness check ${id}`);
        const current = checkFromRow(rows[0]);
        if (current.status !== 'conflict')
          return refuse(409, 'uniqueness_check_resolved', `uniqueness check ${id} is already ${current.status}`);
        let resolutionSerialId: string | null = null;
        if (input.resolution === 'relabelled') {
          if (current.source !== 'vendor')
            return refuse(422, 'relabel_vendor_only', 'only a vendor serial can be relabelled; a pattern produces its own next value');
          const serialNumber = input.serialNumber ?? '';
          const valid = checkSerial(serialNumber);
          if (!valid.ok) return refuse(422, 'serial_malformed', `serialNumber ${valid.reason}`);
          const attempted = rows[0].attempted as ReceiveInput;
          const received = await insertVendorSerial(client, { ...attempted, vendorSerialNumber: serialNumber }, valid.normalized, actor);
          if (!received.ok) {
            return refuse(
              409,
              'serial_duplicate_in_scope',
              `serial ${serialNumber} is taken too (${received.conflict.source} serial of part ${received.conflict.partId})`,
              {
                conflictingSerialId: received.conflict.id,
              },
            );
          }
          resolutionSerialId = received.serial.id;
        }
        const updated = await client.query(
          `UPDATE serial_uniqueness_checks SET status = $2, resolution_serial_id = $3, resolution_reason = $4, resolved_by = $5, resolved_at = now()
            WHERE id = $1 RETURNING *`,
          [id, input.resolution, resolutionSerialId, input.reason, actor.subject],
        );
        const check = checkFromRow(updated.rows[0]);
        await writeAudit(client, [
          {
            eventType: `uniqueness_check:${input.resolution}`,
            entityType: 'uniqueness_check',
            entityId: id,
            serialNumber: current.serialNumber,
            partId: current.partId,
            performedBy: actor.subject,
            reason: input.reason,
            before: { status: 'conflict' },
            after: { status: input.resolution, resolutionSerialId, serialNumber: input.serialNumber ?? null },
            requestId: actor.requestId,
          },
        ]);
        return { ok: true, check };
      }),
  };
}
