import { GENERATED_BATCH_EVENT } from '../audit/generated-batch-event.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import type { Queryable } from '../db/with-transaction.ts';
import { CLASHING_SERIAL_SQL, type ConflictingSerial, lockSerialValues, scopeKey } from '../uniqueness/serial-registry.ts';

export interface RenderedBatchSerial {
  serialNumber: string;
  normalized: string;
  sequenceValue: number;
  checkCharacter: string | null;
}

export interface BatchContext {
  patternId: string;
  partId: string;
  counterScope: string;
  scope: UniquenessScope;
  status: 'generated' | 'assigned';
  actor: { subject: string; requestId: string };
}

export type BatchResult = { ok: true; ids: string[] } | { ok: false; conflict: ConflictingSerial };

/**
 * One statement for a batch of generated serials, after their values' advisory locks: the clash
 * check against the registry, and only when nothing clashes the registry rows, the
 * system_generated_serials rows and the batch's audit event (built here from the inserted rows).
 * It returns the clashes, or the new ids in the batch's order.
 */
const BATCH_SQL = `WITH c AS (
  SELECT t.*, $5::text AS part_id, NULL::text AS vendor_key, $6::text AS scope_type
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS t (serial_number, normalized, sequence_value, check_character, ord)
), clash AS (
  SELECT c.ord, s.id, s.serial_number, s.part_id, s.scope_type, s.source FROM c CROSS JOIN LATERAL (${CLASHING_SERIAL_SQL}) AS s
), registered AS (
  INSERT INTO serials (source, serial_number, normalized_serial, part_id, vendor_key, scope_type, scope_key)
  SELECT 'system', c.serial_number, c.normalized, c.part_id, NULL, c.scope_type, $7 FROM c WHERE NOT EXISTS (SELECT 1 FROM clash) ORDER BY c.ord
  RETURNING id, normalized_serial
), generated AS (
  INSERT INTO system_generated_serials (id, serial_number, part_id, pattern_id, counter_scope, sequence_value, check_character, status, generated_by)
  SELECT r.id, c.serial_number, c.part_id, $8, $9, c.sequence_value, c.check_character, $10, $11
    FROM registered r JOIN c ON c.normalized = r.normalized_serial
  RETURNING id, serial_number, part_id, sequence_value
), audited AS (
  INSERT INTO audit_events (event_type, entity_type, entity_id, serial_number, part_id, performed_by, after_state, request_id)
  SELECT '${GENERATED_BATCH_EVENT}', 'system_serial', NULL, NULL, $5, $11,
         jsonb_build_object('patternId', $8::text, 'counterScope', $9::text, 'scope', $6::text, 'count', count(*),
           'firstSequence', min(g.sequence_value), 'lastSequence', max(g.sequence_value),
           'serials', jsonb_agg(jsonb_build_object('id', g.id, 'serialNumber', g.serial_number, 'sequence', g.sequence_value) ORDER BY g.sequence_value)), $12
    FROM generated g HAVING count(*) > 0
  RETURNING 1
)
SELECT false AS clash, g.id, NULL::bigint AS ord, NULL AS serial_number, NULL AS part_id, NULL AS scope_type, NULL AS source, g.sequence_value
  FROM generated g
UNION ALL
SELECT true, clash.id, clash.ord, clash.serial_number, clash.part_id, clash.scope_type, clash.source, NULL FROM clash
ORDER BY 1 DESC, 3, 8`;

/** Writes one batch in the caller's transaction; nothing is written when any of it clashes. */
export async function writeGeneratedBatch(
  client: Queryable,
  batch: readonly RenderedBatchSerial[],
  context: BatchContext,
): Promise<BatchResult> {
  const normalized = batch.map((serial) => serial.normalized);
  await lockSerialValues(client, normalized);
  const { rows } = await client.query<{
    clash: boolean;
    id: string;
    ord: string | null;
    serial_number: string | null;
    part_id: string | null;
    scope_type: UniquenessScope | null;
    source: string | null;
  }>({
    name: 'serials-generated-batch',
    text: BATCH_SQL,
    values: [
      batch.map((serial) => serial.serialNumber),
      normalized,
      batch.map((serial) => serial.sequenceValue),
      batch.map((serial) => serial.checkCharacter),
      context.partId,
      context.scope,
      scopeKey(context.scope, context.partId, null),
      context.patternId,
      context.counterScope,
      context.status,
      context.actor.subject,
      context.actor.requestId,
    ],
  });
  const first = rows[0];
  if (first?.clash) {
    return {
      ok: false,
      conflict: {
        index: Number(first.ord) - 1,
        id: first.id,
        serialNumber: first.serial_number as string,
        partId: first.part_id as string,
        scope: first.scope_type as UniquenessScope,
        source: first.source as string,
      },
    };
  }
  // Sequence values rise with the batch's order, and the rows come sorted by them.
  return { ok: true, ids: rows.map((row) => row.id) };
}
