import type pg from 'pg';
import { GENERATED_BATCH_EVENT } from './generated-batch-event.ts';

export interface AuditEventRow {
  id: string;
  sequence: number;
  performedAt: Date;
  eventType: string;
  entityType: string;
  entityId: string | null;
  serialNumber: string | null;
  partId: string | null;
  performedBy: string;
  reason: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  hash: string;
  prevHash: string;
}

export interface AuditPage {
  events: AuditEventRow[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface AuditFilter {
  partId?: string;
  serialNumber?: string;
  eventType?: string;
  /** Events older than this chain position (from a previous page's nextCursor). */
  beforeSequence?: number;
  limit: number;
}

/**
 * Newest first, paged by chain position (stable while new events arrive). A serial number matches
 * the events about that serial and the batch event that generated it (which lists its serials):
 * that one is found by the part and time of the serial's system_generated_serials row, both set in
 * the transaction that wrote the event.
 */
export async function queryAuditEvents(pool: pg.Pool, filter: AuditFilter): Promise<AuditPage> {
  const { rows } = await pool.query(
    `SELECT * FROM audit_events
      WHERE ($1::text IS NULL OR part_id = $1)
        AND ($2::text IS NULL OR serial_number = $2
          OR (event_type = '${GENERATED_BATCH_EVENT}'
              AND (part_id, performed_at) IN (SELECT g.part_id, g.created_at FROM system_generated_serials g WHERE g.serial_number = $2)
              AND after_state->'serials' @> jsonb_build_array(jsonb_build_object('serialNumber', $2::text))))
        AND ($3::text IS NULL OR event_type = $3) AND ($4::bigint IS NULL OR chain_seq < $4)
      ORDER BY chain_seq DESC LIMIT $5`,
    [filter.partId ?? null, filter.serialNumber ?? null, filter.eventType ?? null, filter.beforeSequence ?? null, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit).map((row) => ({
    id: row.id,
    sequence: Number(row.chain_seq),
    performedAt: row.performed_at,
    eventType: row.event_type,
    entityType: row.entity_type,
    entityId: row.entity_id,
    serialNumber: row.serial_number,
    partId: row.part_id,
    performedBy: row.performed_by,
    reason: row.reason,
    before: row.before_state,
    after: row.after_state,
    requestId: row.request_id,
    hash: row.hash,
    prevHash: row.prev_hash,
  }));
  const last = page.at(-1);
  return { events: page, nextCursor: rows.length > filter.limit && last ? String(last.sequence) : null };
}

export interface ChainVerification {
  intact: boolean;
  eventsChecked: number;
  firstBrokenSequence: number | null;
  problem: string | null;
}

export async function verifyAuditChain(pool: pg.Pool): Promise<ChainVerification> {
  const [broken, count] = await Promise.all([
    pool.query<{ chain_seq: string; problem: string }>('SELECT * FROM audit_verify_chain()'),
    pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_events'),
  ]);
  const first = broken.rows[0];
  return {
    intact: first === undefined,
    eventsChecked: Number(count.rows[0].n),
    firstBrokenSequence: first ? Number(first.chain_seq) : null,
    problem: first?.problem ?? null,
  };
}
