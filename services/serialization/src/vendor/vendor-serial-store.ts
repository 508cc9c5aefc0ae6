import type pg from 'pg';
import { writeAudit } from '../audit/audit-writer.ts';
import type { UniquenessScope } from '../config/serialization-config.ts';
import { type Queryable, withTransaction } from '../db/with-transaction.ts';
import { type Refusal, type Result, refuse } from '../http/domain-result.ts';
import { checkSerial } from '../serials/normalize-serial.ts';
import { recordConflict } from '../uniqueness/conflict-store.ts';
import { type ConflictingSerial, registerSerials, vendorKeyOf } from '../uniqueness/serial-registry.ts';
import { decideVendorTransition, type VendorSerialCommand, type VendorSerialStatus } from './vendor-serial-state-machine.ts';

export interface VendorSerial {
  id: string;
  serialNumber: string;
  vendorName: string;
  partId: string;
  lotNumber: string | null;
  status: VendorSerialStatus;
  statusReason: string | null;
  receivedDate: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReceiveInput {
  vendorSerialNumber: string;
  vendorName: string;
  partId: string;
  receivedDate: string;
  lotNumber?: string | null;
  scope: UniquenessScope;
}

export interface Actor {
  subject: string;
  requestId: string;
}

const SELECT = `SELECT id, serial_number, vendor_name, part_id, lot_number, status, status_reason,
  to_char(received_date, 'YYYY-MM-DD') AS received_date, created_at, updated_at FROM vendor_serials`;

function fromRow(row: Record<string, unknown>): VendorSerial {
  return {
    id: row.id as string,
    serialNumber: row.serial_number as string,
    vendorName: row.vendor_name as string,
    partId: row.part_id as string,
    lotNumber: (row.lot_number as string | null) ?? null,
    status: row.status as VendorSerialStatus,
    statusReason: (row.status_reason as string | null) ?? null,
    receivedDate: row.received_date as string,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export async function findVendorSerial(db: Queryable, id: string, lock = false): Promise<VendorSerial | null> {
  const { rows } = await db.query(`${SELECT} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export interface VendorSerialStore {
  receive(
    input: ReceiveInput,
    actor: Actor,
    onRegistered?: (normalized: string) => Promise<void>,
  ): Promise<Result<{ serial: VendorSerial }>>;
  transition(id: string, command: VendorSerialCommand, reason: string | null, actor: Actor): Promise<Result<{ serial: VendorSerial }>>;
  get(id: string): Promise<VendorSerial | null>;
  listByPart(partId: string, limit: number): Promise<VendorSerial[]>;
}

/** Applies a transition in the caller's transaction, with the row locked, and audits it. */
export async function transitionVendorSerial(
  client: Queryable,
  id: string,
  command: VendorSerialCommand,
  reason: string | null,
  actor: Actor,
): Promise<Result<{ serial: VendorSerial }>> {
  const current = await findVendorSerial(client, id, true);
  if (!current) return refuse(404, 'vendor_serial_not_found', `no vendor serial ${id}`);
  const decision = decideVendorTransition(current.status, command, reason);
  if (!decision.ok) {
    return refuse(decision.error === 'invalid_transition' ? 409 : 422, decision.error, decision.detail, {
      status: current.status,
      allowedCommands: decision.allowed,
    });
  }
  const { rows } = await client.query(
    `UPDATE vendor_serials SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1
     RETURNING id, serial_number, vendor_name, part_id, lot_number, status, status_reason,
               to_char(received_date, 'YYYY-MM-DD') AS received_date, created_at, updated_at`,
    [id, decision.to, reason],
  );
  const serial = fromRow(rows[0]);
  await writeAudit(client, [
    {
      eventType: `vendor_serial:${decision.to}`,
      entityType: 'vendor_serial',
      entityId: id,
      serialNumber: serial.serialNumber,
      partId: serial.partId,
      performedBy: actor.subject,
      reason,
      before: { status: decision.from },
      after: { status: decision.to },
      requestId: actor.requestId,
    },
  ]);
  return { ok: true, serial };
}

/** The 409 of a serial already taken in its scope, naming the recorded uniqueness check. */
export function duplicateRefusal(serialNumber: string, scope: UniquenessScope, existing: ConflictingSerial, checkId: string): Refusal {
  return refuse(
    409,
    'serial_duplicate_in_scope',
    `serial ${serialNumber} already exists in scope ${scope} (as ${existing.source} serial ${existing.serialNumber} of part ${existing.partId}); the conflict is recorded as uniqueness check ${checkId}`,
    { uniquenessCheckId: checkId, conflictingSerialId: existing.id, scope },
  );
}

/** Registers and inserts a vendor serial in the caller's transaction; a duplicate in scope is a value. */
export async function insertVendorSerial(
  client: Queryable,
  input: ReceiveInput,
  normalized: string,
  actor: Actor,
): Promise<{ ok: true; serial: VendorSerial } | { ok: false; conflict: ConflictingSerial }> {
  const serialNumber = input.vendorSerialNumber.trim();
  const registered = await registerSerials(client, [
    { source: 'vendor', serialNumber, normalized, partId: input.partId, vendorKey: vendorKeyOf(input.vendorName), scope: input.scope },
  ]);
  if (!registered.ok) return { ok: false, conflict: registered.conflicts[0] };
  const id = registered.serials[0].id;
  const { rows } = await client.query(
    `INSERT INTO vendor_serials (id, serial_number, vendor_name, part_id, lot_number, status, received_date)
     VALUES ($1, $2, $3, $4, $5, 'received', $6)
     RETURNING id, serial_number, vendor_name, part_id, lot_number, status, status_reason,
               to_char(received_date, 'YYYY-MM-DD') AS received_date, created_at, updated_at`,
    [id, serialNumber, input.vendorName.trim(), input.partId, input.lotNumber ?? null, input.receivedDate],
  );
  const serial = fromRow(rows[0]);
  await writeAudit(client, [
    {
      eventType: 'vendor_serial:received',
      entityType: 'vendor_serial',
      entityId: id,
      serialNumber,
      partId: input.partId,
      performedBy: actor.subject,
      after: {
        status: 'received',
        vendorName: serial.vendorName,
        lotNumber: serial.lotNumber,
        receivedDate: serial.receivedDate,
        scope: input.scope,
      },
      requestId: actor.requestId,
    },
  ]);
  return { ok: true, serial };
}

export function createVendorSerialStore(pool: pg.Pool): VendorSerialStore {
  return {
    async receive(input, actor, onRegistered) {
      const check = checkSerial(input.vendorSerialNumber);
      if (!check.ok) return refuse(422, 'serial_malformed', `vendorSerialNumber ${check.reason}`, { field: 'vendorSerialNumber' });
      const serialNumber = input.vendorSerialNumber.trim();
      const holder: { conflict?: ConflictingSerial } = {};
      const result = await withTransaction(pool, async (client): Promise<Result<{ serial: VendorSerial }>> => {
        const inserted = await insertVendorSerial(client, input, check.normalized, actor);
        if (inserted.ok) return inserted;
        holder.conflict = inserted.conflict;
        return refuse(409, 'serial_duplicate_in_scope', 'duplicate');
      });
      const conflict = holder.conflict;
      if (result.ok) await onRegistered?.(check.normalized);
      if (conflict === undefined) return result;
      // The attempt rolled back (it changed nothing); the conflict is recorded on its own.
      const checkId = await recordConflict(
        pool,
        {
          serialNumber,
          normalized: check.normalized,
          partId: input.partId,
          vendorName: input.vendorName,
          scope: input.scope,
          source: 'vendor',
          attempted: { ...input },
          performedBy: actor.subject,
          requestId: actor.requestId,
        },
        conflict,
      );
      return duplicateRefusal(serialNumber, input.scope, conflict, checkId);
    },
    transition: (id, command, reason, actor) =>
      withTransaction(pool, (client) => transitionVendorSerial(client, id, command, reason, actor)),
    get: (id) => findVendorSerial(pool, id),
    async listByPart(partId, limit) {
      const { rows } = await pool.query(`${SELECT} WHERE part_id = $1 ORDER BY created_at DESC LIMIT $2`, [partId, limit]);
      return rows.map(fromRow);
    },
  };
}
