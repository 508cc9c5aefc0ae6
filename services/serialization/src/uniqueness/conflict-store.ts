import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { withTransaction } from '../db/with-transaction.ts';
import type { ConflictingSerial } from './serial-registry.ts';

export interface ConflictAttempt {
  serialNumber: string;
  normalized: string;
  partId: string;
  vendorName: string | null;
  scope: UniquenessScope;
  source: 'vendor' | 'system';
  /** What the caller sent, kept so that a resolution can register it under another number. */
  attempted: Record<string, unknown>;
  performedBy: string;
  requestId: string;
}

/**
 * Records a refused duplicate in serial_uniqueness_checks with its audit event, in a transaction
 * of its own (the attempt itself was rolled back). Returns the check's id for the problem body.
 */
export async function recordConflict(pool: pg.Pool, attempt: ConflictAttempt, conflict: ConflictingSerial): Promise<string> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO serial_uniqueness_checks
         (serial_number, normalized_serial, part_id, vendor_name, scope, source, conflicting_serial_id, attempted)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        attempt.serialNumber,
        attempt.normalized,
        attempt.partId,
        attempt.vendorName,
        attempt.scope,
        attempt.source,
        conflict.id,
        attempt.attempted,
      ],
    );
    await writeAudit(client, [
      {
        eventType: 'uniqueness_check:conflict',
        entityType: 'uniqueness_check',
        entityId: rows[0].id,
        serialNumber: attempt.serialNumber,
        partId: attempt.partId,
        performedBy: attempt.performedBy,
        after: {
          scope: attempt.scope,
          conflictingSerialId: conflict.id,
          conflictingSerialNumber: conflict.serialNumber,
          conflictingScope: conflict.scope,
        },
        requestId: attempt.requestId,
      },
    ]);
    return rows[0].id;
  });
}
