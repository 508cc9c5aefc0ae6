import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (standardwebhooks.com): the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`, signed HMAC-SHA256 with the base64-decoded part of a
 * `whsec_<base64>` secret, sent as `webhook-signature: v1,<base64>` (several space-separated
 * during a secret rotation). Receivers refuse timestamps more than 5 minutes away.
 */
export const STANDARD_WEBHOOKS_TOLERANCE_SEC = 300;

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

export function signStandardWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  const signature = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${signature}`;
}

/** The three headers of a delivery. */
export function standardWebhookHeaders(secret: string, id: string, timestampSec: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signStandardWebhook(secret, id, timestampSec, body),
  };
}

export type WebhookVerification = { ok: true } | { ok: false; reason: 'missing_headers' | 'stale' | 'bad_signature' };

export function verifyStandardWebhook(
  secret: string,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSec: number,
  toleranceSec = STANDARD_WEBHOOKS_TOLERANCE_SEC,
): WebhookVerification {
  if (!headers.id || !headers.timestamp || !headers.signature) return { ok: false, reason: 'missing_headers' };
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSec - timestamp) > toleranceSec) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signStandardWebhook(secret, headers.id, timestamp, body).slice(3), 'base64');
  for (const candidate of headers.signature.split(' ')) {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'bad_signature' };
}
