import { type AuditEvent, writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import type { Queryable } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { normalizeSerial } from '../serials/normalize-serial.ts';
import { type ConflictingSerial, registerSerials } from '../uniqueness/serial-registry.ts';
import { MAX_PART_IN_SERIAL } from './parse-pattern.ts';
import type { SerialPattern } from './pattern-store.ts';
import { counterScope, renderSerial } from './render-serial.ts';

export interface GeneratedSerial {
  id: string;
  serialNumber: string;
  sequenceValue: number;
  checkCharacter: string | null;
}

export interface GenerateRequest {
  pattern: SerialPattern;
  partId: string;
  count: number;
  scope: UniquenessScope;
  /** Generation date (UTC fields of the template); default now. */
  date?: Date;
  actor: { subject: string; requestId: string };
  batchSize: number;
  auditBatchSize: number;
  /** Set on the generated rows, e.g. 'assigned' when a placeholder takes the serial at once. */
  status?: 'generated' | 'assigned';
}

export type GenerateResult = Result<{ serials: GeneratedSerial[]; counterScope: string }> & { conflict?: ConflictingSerial };

const PART_IN_SERIAL = /^[A-Z0-9\-./_]+$/;

/**
 * Generates `count` serials from a pattern in the caller's transaction.
 *
 * The counter row of (pattern, counter scope) is created if missing and advanced by one UPDATE
 * that also refuses to pass the pattern's maximum (the pattern is exhausted: nothing wraps). The
 * UPDATE's row lock orders concurrent generators of one scope; it is held to the commit, so the
 * values a request takes are never visible to another before it commits, and a rollback returns
 * them to the counter: the committed sequence has no gaps and no value is used twice. Rows are
 * written SERIAL_BATCH_SIZE at a time (registry, serials, audit).
 */
export async function generateSerials(client: Queryable, request: GenerateRequest): Promise<GenerateResult> {
  const { pattern, partId, count } = request;
  if (pattern.partId !== null && pattern.partId !== partId) {
    return refuse(422, 'pattern_not_for_part', `pattern ${pattern.id} generates serials of part ${pattern.partId} only`);
  }
  if (pattern.hasPart && (partId.length > MAX_PART_IN_SERIAL || !PART_IN_SERIAL.test(partId.toUpperCase()))) {
    return refuse(
      422,
      'part_not_printable',
      `part ${partId} cannot appear in a serial of pattern ${pattern.id} (at most ${MAX_PART_IN_SERIAL} letters, digits and - . / _)`,
    );
  }
  const date = request.date ?? new Date();
  const scope = counterScope(pattern, partId, date);
  await client.query('INSERT INTO serial_counters (pattern_id, scope_key, next_value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    pattern.id,
    scope,
    pattern.sequenceMin,
  ]);
  const step = pattern.incrementBy;
  const allocated = await client.query<{ first: string }>(
    `UPDATE serial_counters SET next_value = next_value + $3::bigint * $4::bigint, updated_at = now()
      WHERE pattern_id = $1 AND scope_key = $2 AND next_value + ($3::bigint - 1) * $4::bigint <= $5::bigint
      RETURNING next_value - $3::bigint * $4::bigint AS first`,
    [pattern.id, scope, count, step, pattern.sequenceMax],
  );
  if (allocated.rows.length === 0) {
    const { rows } = await client.query<{ next_value: string }>(
      'SELECT next_value FROM serial_counters WHERE pattern_id = $1 AND scope_key = $2',
      [pattern.id, scope],
    );
    const next = Number(rows[0]?.next_value ?? pattern.sequenceMin);
    const left = next > pattern.sequenceMax ? 0 : Math.floor((pattern.sequenceMax - next) / step) + 1;
    return refuse(
      409,
      'pattern_exhausted',
      `pattern ${pattern.id} has ${left} serial(s) left in counter ${scope} (asked for ${count}); it never wraps around`,
      {
        remaining: left,
        counterScope: scope,
      },
    );
  }
  const first = Number(allocated.rows[0].first);
  const serials: GeneratedSerial[] = [];
  for (let start = 0; start < count; start += request.batchSize) {
    const rendered = [];
    for (let i = start; i < Math.min(count, start + request.batchSize); i++) {
      const sequenceValue = first + i * step;
      rendered.push({ sequenceValue, ...renderSerial(pattern, { partId, date, sequence: sequenceValue }) });
    }
    const registered = await registerSerials(
      client,
      rendered.map((serial) => ({
        source: 'system' as const,
        serialNumber: serial.serialNumber,
        normalized: normalizeSerial(serial.serialNumber),
        partId,
        vendorKey: null,
        scope: request.scope,
      })),
    );
    if (!registered.ok) {
      const conflict = registered.conflicts[0];
      return {
        ...refuse(
          409,
          'serial_duplicate_in_scope',
          `pattern ${pattern.id} produced ${rendered[conflict.index].serialNumber}, which already exists in scope ${request.scope} (${conflict.source} serial of part ${conflict.partId}): keep vendor and system serials in separate patterns`,
          {
            conflictingSerialId: conflict.id,
          },
        ),
        conflict,
      };
    }
    const batch = rendered.map((serial, index) => ({ ...serial, id: registered.serials[index].id }));
    await client.query(
      `INSERT INTO system_generated_serials (id, serial_number, part_id, pattern_id, counter_scope, sequence_value, check_character, status, generated_by)
       SELECT id, serial_number, $3, $4, $5, sequence_value, check_character, $6, $7
         FROM unnest($1::uuid[], $2::text[], $8::bigint[], $9::text[]) AS t (id, serial_number, sequence_value, check_character)`,
      [
        batch.map((s) => s.id),
        batch.map((s) => s.serialNumber),
        partId,
        pattern.id,
        scope,
        request.status ?? 'generated',
        request.actor.subject,
        batch.map((s) => s.sequenceValue),
        batch.map((s) => s.checkCharacter),
      ],
    );
    serials.push(
      ...batch.map(({ id, serialNumber, sequenceValue, checkCharacter }) => ({ id, serialNumber, sequenceValue, checkCharacter })),
    );
  }
  const audit: AuditEvent[] = serials.map((serial) => ({
    eventType: 'system_serial:generated',
    entityType: 'system_serial',
    entityId: serial.id,
    serialNumber: serial.serialNumber,
    partId,
    performedBy: request.actor.subject,
    after: { patternId: pattern.id, counterScope: scope, sequence: serial.sequenceValue, scope: request.scope },
    requestId: request.actor.requestId,
  }));
  await writeAudit(client, audit, request.auditBatchSize);
  return { ok: true, serials, counterScope: scope };
}
