import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { type Queryable, withTransaction } from '../db/with-transaction.ts';
import { type Result, refuse } from '../http/domain-result.ts';
import { generateSerials } from '../patterns/generate-serials.ts';
import { findPattern } from '../patterns/pattern-store.ts';
import { PLACEHOLDER_PREFIX } from '../serials/normalize-serial.ts';
import { registerSerials } from '../uniqueness/serial-registry.ts';

/**
 * Late assignment. A placeholder carries a unit under a temporary id (TMP-…, visibly not final)
 * from the operation that creates it to the one that gives it its permanent serial. Resolving
 * locks the placeholder row first: of two resolutions racing on any instances, the first commits
 * and the second finds it resolved (409, nothing generated, no counter value spent). Resolution
 * re-points the genealogy links of the placeholder to the final serial and retires the
 * temporary id, in the same transaction as its audit event.
 */

export interface Placeholder {
  id: string;
  placeholderCode: string;
  partId: string;
  operationCode: string | null;
  workOrder: string | null;
  status: 'pending' | 'resolved' | 'cancelled';
  resolvedSerialId: string | null;
  resolvedSerialNumber: string | null;
  resolutionSource: 'trigger' | 'manual' | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdAt: Date;
}

export type Resolution = { kind: 'generate'; patternId: string } | { kind: 'serial'; serialId: string };

export interface ResolveOptions {
  source: 'trigger' | 'manual';
  actor: { subject: string; requestId: string };
  scope: UniquenessScope;
  batchSize: number;
  auditBatchSize: number;
}

const SELECT = `SELECT p.*, s.serial_number AS resolved_serial_number FROM late_assignment_placeholders p
  LEFT JOIN serials s ON s.id = p.resolved_serial_id`;

function fromRow(row: Record<string, unknown>): Placeholder {
  return {
    id: row.id as string,
    placeholderCode: row.placeholder_code as string,
    partId: row.part_id as string,
    operationCode: (row.operation_code as string | null) ?? null,
    workOrder: (row.work_order as string | null) ?? null,
    status: row.status as Placeholder['status'],
    resolvedSerialId: (row.resolved_serial_id as string | null) ?? null,
    resolvedSerialNumber: (row.resolved_serial_number as string | null) ?? null,
    resolutionSource: (row.resolution_source as Placeholder['resolutionSource']) ?? null,
    resolvedBy: (row.resolved_by as string | null) ?? null,
    resolvedAt: (row.resolved_at as Date | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

export async function findPlaceholder(db: Queryable, id: string): Promise<Placeholder | null> {
  const { rows } = await db.query(`${SELECT} WHERE p.id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Resolves a placeholder in the caller's transaction (used by the API and by triggers). */
export async function resolvePlaceholder(
  client: Queryable,
  id: string,
  resolution: Resolution,
  options: ResolveOptions,
): Promise<Result<{ placeholder: Placeholder }>> {
  const locked = await client.query('SELECT status, part_id, placeholder_code FROM late_assignment_placeholders WHERE id = $1 FOR UPDATE', [
    id,
  ]);
  if (locked.rows.length === 0) return refuse(404, 'placeholder_not_found', `no placeholder ${id}`);
  const {
    status,
    part_id: partId,
    placeholder_code: code,
  } = locked.rows[0] as { status: string; part_id: string; placeholder_code: string };
  if (status !== 'pending') {
    const current = await findPlaceholder(client, id);
    return refuse(
      409,
      'placeholder_already_resolved',
      `placeholder ${code} is ${status}${current?.resolvedSerialNumber ? ` (serial ${current.resolvedSerialNumber})` : ''}: it is resolved exactly once`,
      {
        resolvedSerialId: current?.resolvedSerialId ?? null,
        resolvedSerialNumber: current?.resolvedSerialNumber ?? null,
      },
    );
  }
  let serialId: string;
  let serialNumber: string;
  if (resolution.kind === 'generate') {
    const pattern = await findPattern(client, resolution.patternId);
    if (!pattern) return refuse(404, 'pattern_not_found', `no pattern ${resolution.patternId}`);
    const generated = await generateSerials(client, {
      pattern,
      partId,
      count: 1,
      scope: options.scope,
      actor: options.actor,
      batchSize: options.batchSize,
      auditBatchSize: options.auditBatchSize,
      status: 'assigned',
    });
    if (!generated.ok) return generated;
    serialId = generated.serials[0].id;
    serialNumber = generated.serials[0].serialNumber;
  } else {
    const target = await client.query<{ source: string; serial_number: string; part_id: string; retired_at: Date | null }>(
      'SELECT source, serial_number, part_id, retired_at FROM serials WHERE id = $1 FOR UPDATE',
      [resolution.serialId],
    );
    const serial = target.rows[0];
    if (!serial) return refuse(404, 'serial_not_found', `no serial ${resolution.serialId}`);
    if (serial.source === 'placeholder')
      return refuse(422, 'serial_is_placeholder', 'a placeholder resolves to a final serial, not to another placeholder');
    if (serial.part_id !== partId)
      return refuse(
        422,
        'serial_of_other_part',
        `serial ${serial.serial_number} belongs to part ${serial.part_id}, the placeholder to ${partId}`,
      );
    const taken = await client.query('SELECT placeholder_code FROM late_assignment_placeholders WHERE resolved_serial_id = $1', [
      resolution.serialId,
    ]);
    if (taken.rows.length > 0)
      return refuse(
        409,
        'serial_already_assigned',
        `serial ${serial.serial_number} already resolved placeholder ${taken.rows[0].placeholder_code}`,
      );
    serialId = resolution.serialId;
    serialNumber = serial.serial_number;
    await client.query("UPDATE system_generated_serials SET status = 'assigned' WHERE id = $1 AND status = 'generated'", [serialId]);
  }
  await client.query(
    `UPDATE late_assignment_placeholders SET status = 'resolved', resolved_serial_id = $2, resolution_source = $3, resolved_by = $4, resolved_at = now()
      WHERE id = $1 AND status = 'pending'`,
    [id, serialId, options.source, options.actor.subject],
  );
  const moved = await client.query(
    `UPDATE serial_propagations SET
        parent_serial_id = CASE WHEN parent_serial_id = $1 THEN $2 ELSE parent_serial_id END,
        child_serial_id = CASE WHEN child_serial_id = $1 THEN $2 ELSE child_serial_id END,
        serial_id = CASE WHEN serial_id = $1 THEN $2 ELSE serial_id END
      WHERE parent_serial_id = $1 OR child_serial_id = $1 OR serial_id = $1`,
    [id, serialId],
  );
  await client.query('UPDATE serials SET retired_at = now() WHERE id = $1', [id]);
  await writeAudit(client, [
    {
      eventType: 'placeholder:resolved',
      entityType: 'placeholder',
      entityId: id,
      serialNumber,
      partId,
      performedBy: options.actor.subject,
      before: { status: 'pending', placeholderCode: code },
      after: { status: 'resolved', serialId, serialNumber, source: options.source, genealogyLinksMoved: moved.rowCount ?? 0 },
      requestId: options.actor.requestId,
    },
  ]);
  const placeholder = (await findPlaceholder(client, id)) as Placeholder;
  return { ok: true, placeholder };
}

export interface PlaceholderStore {
  create(
    input: { partId: string; operationCode: string | null; workOrder: string | null },
    actor: { subject: string; requestId: string },
  ): Promise<Placeholder>;
  resolve(id: string, resolution: Resolution, options: ResolveOptions): Promise<Result<{ placeholder: Placeholder }>>;
  get(id: string): Promise<Placeholder | null>;
}

export function createPlaceholderStore(pool: pg.Pool): PlaceholderStore {
  return {
    create: (input, actor) =>
      withTransaction(pool, async (client) => {
        const code = `${PLACEHOLDER_PREFIX}${randomBytes(8).toString('hex').toUpperCase()}`;
        const registered = await registerSerials(client, [
          { source: 'placeholder', serialNumber: code, normalized: code, partId: input.partId, vendorKey: null, scope: 'global' },
        ]);
        if (!registered.ok) throw new Error(`placeholder code ${code} collided`);
        const id = registered.serials[0].id;
        await client.query(
          'INSERT INTO late_assignment_placeholders (id, placeholder_code, part_id, operation_code, work_order) VALUES ($1, $2, $3, $4, $5)',
          [id, code, input.partId, input.operationCode, input.workOrder],
        );
        await writeAudit(client, [
          {
            eventType: 'placeholder:created',
            entityType: 'placeholder',
            entityId: id,
            serialNumber: code,
            partId: input.partId,
            performedBy: actor.subject,
            after: { status: 'pending', operationCode: input.operationCode, workOrder: input.workOrder },
            requestId: actor.requestId,
          },
        ]);
        return (await findPlaceholder(client, id)) as Placeholder;
      }),
    resolve: (id, resolution, options) => withTransaction(pool, (client) => resolvePlaceholder(client, id, resolution, options)),
    get: (id) => findPlaceholder(pool, id),
  };
}
