import type { Queryable } from '../db/with-transaction.ts';

/** One entry of the audit trail: who did what to which serial, when (set by the database) and why. */
export interface AuditEvent {
  /** `noun:verb`, e.g. `vendor_serial:received`, `system_serial:generated`. */
  eventType: string;
  entityType:
    | 'vendor_serial'
    | 'system_serial'
    | 'placeholder'
    | 'genealogy_link'
    | 'uniqueness_check'
    | 'trigger'
    | 'pattern'
    | 'account'
    | 'system';
  entityId?: string | null;
  serialNumber?: string | null;
  partId?: string | null;
  performedBy: string;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

/** Default rows per INSERT (AUDIT_BATCH_WRITE_SIZE). */
export const DEFAULT_AUDIT_BATCH_WRITE_SIZE = 500;

const COLUMNS = [
  'event_type',
  'entity_type',
  'entity_id',
  'serial_number',
  'part_id',
  'performed_by',
  'reason',
  'before_state',
  'after_state',
  'request_id',
] as const;
const TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'text'];

/** The INSERT of a batch of audit events as one statement over arrays (pure; tested by its text). */
export function buildAuditInsert(events: readonly AuditEvent[]): { text: string; values: unknown[][] } {
  const columns = COLUMNS.map(() => [] as unknown[]);
  for (const event of events) {
    const row = [
      event.eventType,
      event.entityType,
      event.entityId ?? null,
      event.serialNumber ?? null,
      event.partId ?? null,
      event.performedBy,
      event.reason ?? null,
      event.before === undefined ? null : JSON.stringify(event.before),
      event.after === undefined ? null : JSON.stringify(event.after),
      event.requestId ?? null,
    ];
    for (const [index, value] of row.entries()) columns[index].push(value);
  }
  const params = TYPES.map((type, index) => `$${index + 1}::${type}[]`).join(', ');
  return {
    text: `INSERT INTO audit_events (${COLUMNS.join(', ')}) SELECT * FROM unnest(${params})`,
    values: columns,
  };
}

/**
 * Appends audit events inside the caller's transaction (the change and its audit commit or roll
 * back together). The database sets performed_at, chain_seq and the hash chain. Call it last in a
 * transaction: the chain head stays locked until the commit.
 */
export async function writeAudit(
  client: Queryable,
  events: readonly AuditEvent[],
  batchSize = DEFAULT_AUDIT_BATCH_WRITE_SIZE,
): Promise<void> {
  for (let start = 0; start < events.length; start += batchSize) {
    const { text, values } = buildAuditInsert(events.slice(start, start + batchSize));
    await client.query(text, values);
  }
}
