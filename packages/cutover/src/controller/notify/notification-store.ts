import type { DatabaseSync } from 'node:sqlite';
import { openSqliteFile } from '../../shared/sqlite-file.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS notification_deliveries (
     id TEXT PRIMARY KEY,
     service TEXT NOT NULL,
     event TEXT NOT NULL,
     target TEXT NOT NULL,
     webhook_index INTEGER NOT NULL,
     body TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL,
     next_attempt_at INTEGER NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     created_at INTEGER NOT NULL,
     ended_at INTEGER
   )`,
  'CREATE INDEX IF NOT EXISTS notification_deliveries_due ON notification_deliveries (state, next_attempt_at)',
];

/** pending → delivered | failed (every attempt used). A pending row outlives the process that queued it. */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  service: string;
  event: string;
  /** The webhook's name or its URL's host: never the full URL, whose path may carry a token. */
  target: string;
  webhookIndex: number;
  body: string;
  state: DeliveryState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  endedAt: number | null;
}

/** The outbox of webhook deliveries, in the controller's cutover.db: every delivery and its attempts are recorded. */
export class NotificationStore {
  readonly db: DatabaseSync;

  constructor(file: string) {
    this.db = openSqliteFile(file, SCHEMA);
  }

  enqueue(
    delivery: Pick<DeliveryRecord, 'id' | 'service' | 'event' | 'target' | 'webhookIndex' | 'body' | 'maxAttempts' | 'createdAt'>,
  ): void {
    this.db
      .prepare(
        `INSERT INTO notification_deliveries (id, service, event, target, webhook_index, body, state, max_attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      )
      .run(
        delivery.id,
        delivery.service,
        delivery.event,
        delivery.target,
        delivery.webhookIndex,
        delivery.body,
        delivery.maxAttempts,
        delivery.createdAt,
        delivery.createdAt,
      );
  }

  /** Pending deliveries of a service due at `nowMs`, oldest first. */
  due(service: string, nowMs: number): DeliveryRecord[] {
    return this.db
      .prepare(
        `SELECT * FROM notification_deliveries WHERE service = ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id`,
      )
      .all(service, nowMs)
      .map(toRecord);
  }

  /** When the next pending delivery of a service is due, or null. */
  nextDueAt(service: string): number | null {
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM notification_deliveries WHERE service = ? AND state = 'pending'`)
      .get(service);
    return (row?.at as number | null) ?? null;
  }

  /** Records one attempt; `nextAttemptAt` null ends the delivery (delivered, or failed for good). */
  recordAttempt(
    id: string,
    attempt: { status: number | null; error: string | null; delivered: boolean; nextAttemptAt: number | null; atMs: number },
  ): void {
    const state: DeliveryState = attempt.delivered ? 'delivered' : attempt.nextAttemptAt === null ? 'failed' : 'pending';
    this.db
      .prepare(
        `UPDATE notification_deliveries SET attempts = attempts + 1, state = ?, last_status = ?, last_error = ?,
           next_attempt_at = COALESCE(?, next_attempt_at), ended_at = ? WHERE id = ?`,
      )
      .run(state, attempt.status, attempt.error, attempt.nextAttemptAt, state === 'pending' ? null : attempt.atMs, id);
  }

  delivery(id: string): DeliveryRecord | undefined {
    const row = this.db.prepare('SELECT * FROM notification_deliveries WHERE id = ?').get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Newest first. */
  deliveries(service: string, limit = 50): DeliveryRecord[] {
    return this.db
      .prepare('SELECT * FROM notification_deliveries WHERE service = ? ORDER BY created_at DESC, id DESC LIMIT ?')
      .all(service, limit)
      .map(toRecord);
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: Record<string, unknown>): DeliveryRecord {
  return {
    id: row.id as string,
    service: row.service as string,
    event: row.event as string,
    target: row.target as string,
    webhookIndex: row.webhook_index as number,
    body: row.body as string,
    state: row.state as DeliveryState,
    attempts: row.attempts as number,
    maxAttempts: row.max_attempts as number,
    nextAttemptAt: row.next_attempt_at as number,
    lastStatus: (row.last_status as number | null) ?? null,
    lastError: (row.last_error as string | null) ?? null,
    createdAt: row.created_at as number,
    endedAt: (row.ended_at as number | null) ?? null,
  };
}
