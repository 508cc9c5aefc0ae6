import { createHmac } from 'node:crypto';
import type { Notification } from './notification.ts';

export const SIGNATURE_HEADER = 'x-cutover-signature';
export const TIMESTAMP_HEADER = 'x-cutover-timestamp';

export interface WebhookRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/** The JSON body of a notification: the same bytes on every attempt of one delivery. */
export function buildWebhookBody(deliveryId: string, notification: Notification): string {
  return JSON.stringify({ id: deliveryId, ...notification, at: new Date(notification.at).toISOString() });
}

/**
 * One delivery attempt: the body, and when a secret is set, `x-cutover-signature: sha256=<hex>`,
 * the HMAC-SHA256 of `<timestamp>.<body>` under the secret, with the timestamp (unix seconds) in
 * `x-cutover-timestamp`. A receiver recomputes it and refuses old timestamps (replays).
 */
export function buildWebhookRequest(input: {
  url: string;
  deliveryId: string;
  event: string;
  body: string;
  secret: string | null;
  nowMs: number;
}): WebhookRequest {
  const timestamp = String(Math.floor(input.nowMs / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'cutover-webhook',
    'x-cutover-event': input.event,
    'x-cutover-delivery': input.deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (input.secret !== null) headers[SIGNATURE_HEADER] = `sha256=${signWebhook(input.secret, timestamp, input.body)}`;
  return { url: input.url, method: 'POST', headers, body: input.body };
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
