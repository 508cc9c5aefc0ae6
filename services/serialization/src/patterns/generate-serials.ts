import type { UniquenessScope } from '../config/serialization-config.ts';
import type { Queryable } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { normalizeSerial } from '../serials/normalize-serial.ts';
import type { ConflictingSerial } from '../uniqueness/serial-registry.ts';
import { MAX_PART_IN_SERIAL } from './parse-pattern.ts';
import type { SerialPattern } from './pattern-store.ts';
import { counterScope, renderSerial } from './render-serial.ts';
import { type RenderedBatchSerial, writeGeneratedBatch } from './write-generated-batch.ts';

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
  /** Not used by generation (its audit events are written with each batch); kept for callers. */
  auditBatchSize: number;
  /** Set on the generated rows, e.g. 'assigned' when a placeholder takes the serial at once. */
  status?: 'generated' | 'assigned';
}

export type GenerateResult = Result<{ serials: GeneratedSerial[]; counterScope: string }> & { conflict?: ConflictingSerial };

const PART_IN_SERIAL = /^[A-Z0-9\-./_]+$/;

/** Two serials of one batch with the same normalized value (a pattern that repeats itself). */
function findDuplicateInBatch(
  batch: readonly RenderedBatchSerial[],
  partId: string,
  scope: UniquenessScope,
): { ok: false; conflict: ConflictingSerial } | null {
  const seen = new Map<string, number>();
  for (const [index, serial] of batch.entries()) {
    const first = seen.get(serial.normalized);
    if (first !== undefined)
      return { ok: false, conflict: { index, id: '', serialNumber: batch[first].serialNumber, partId, scope, source: 'batch' } };
    seen.set(serial.normalized, index);
  }
  return null;
}

/**
 * Generates `count` serials from a pattern in the caller's transaction.
 *
 * The counter row of (pattern, counter scope) is created if missing and advanced by one UPDATE
 * that also refuses to pass the pattern's maximum (the pattern is exhausted: nothing wraps). The
 * UPDATE's row lock orders concurrent generators of one scope; it is held to the commit, so the
 * values a request takes are never visible to another before it commits, and a rollback returns
 * them to the counter: the committed sequence has no gaps and no value is used twice. Rows are
 * written SERIAL_BATCH_SIZE at a time, each batch in two statements: its values' advisory locks,
 * then the clash check, registry, serial and audit rows together (write-generated-batch.ts).
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
  const step = pattern.incrementBy;
  // Creates the counter at its first use and advances it in one statement; no row when the
  // pattern has fewer than `count` values left (a new counter included).
  const allocated = await client.query<{ first: string }>({
    name: 'serials-advance-counter',
    text: `INSERT INTO serial_counters AS k (pattern_id, scope_key, next_value)
      SELECT $1, $2, $6::bigint + $3::bigint * $4::bigint WHERE $6::bigint + ($3::bigint - 1) * $4::bigint <= $5::bigint
      ON CONFLICT (pattern_id, scope_key) DO UPDATE SET next_value = k.next_value + $3::bigint * $4::bigint, updated_at = now()
       WHERE k.next_value + ($3::bigint - 1) * $4::bigint <= $5::bigint
      RETURNING k.next_value - $3::bigint * $4::bigint AS first`,
    values: [pattern.id, scope, count, step, pattern.sequenceMax, pattern.sequenceMin],
  });
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
  const context = {
    patternId: pattern.id,
    partId,
    counterScope: scope,
    scope: request.scope,
    status: request.status ?? 'generated',
    actor: request.actor,
  };
  for (let start = 0; start < count; start += request.batchSize) {
    const rendered: RenderedBatchSerial[] = [];
    for (let i = start; i < Math.min(count, start + request.batchSize); i++) {
      const sequenceValue = first + i * step;
      const { serialNumber, checkCharacter } = renderSerial(pattern, { partId, date, sequence: sequenceValue });
      rendered.push({ serialNumber, normalized: normalizeSerial(serialNumber), sequenceValue, checkCharacter });
    }
    const clash = findDuplicateInBatch(rendered, partId, request.scope);
    const written = clash ?? (await writeGeneratedBatch(client, rendered, context));
    if (!written.ok) {
      const conflict = written.conflict;
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
    for (const [index, serial] of rendered.entries())
      serials.push({
        id: written.ids[index],
        serialNumber: serial.serialNumber,
        sequenceValue: serial.sequenceValue,
        checkCharacter: serial.checkCharacter,
      });
  }
  return { ok: true, serials, counterScope: scope };
}
