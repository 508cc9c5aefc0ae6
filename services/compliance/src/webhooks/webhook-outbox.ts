import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { EventSink, WebhookEventType } from '../compliance-context.ts';

/** A Standard Webhooks message id: `msg_` and 22 url-safe characters (no dots, never user-chosen). */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/**
 * Events become delivery rows, one per subscribed endpoint, in PostgreSQL: the dispatcher of any
 * instance sends them, so an event survives the instance that raised it.
 */
export function createWebhookOutbox(pool: pg.Pool, now: () => Date = () => new Date()): EventSink {
  return {
    async publish(type: WebhookEventType, data: Record<string, unknown>) {
      const { rows } = await pool.query(
        `SELECT id FROM webhook_endpoints WHERE enabled AND ($1 = ANY(event_types) OR '*' = ANY(event_types))`,
        [type],
      );
      if (rows.length === 0) return;
      const timestamp = now().toISOString();
      const values: unknown[] = [];
      const tuples = rows.map((row, i) => {
        values.push(newMessageId(), row.id, type, JSON.stringify({ type, timestamp, data }));
        return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
      });
      await pool.query(`INSERT INTO webhook_deliveries (id, endpoint_id, event_type, payload) VALUES ${tuples.join(', ')}`, values);
    },
  };
}
