import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, where each v1 is
 * HMAC-SHA256 (hex) of `{t}.{raw body}` keyed with the endpoint secret (`whsec_...`, used as is).
 * Any v1 may match (several appear while a secret rolls); v0 and unknown schemes are ignored; the
 * timestamp must be within the tolerance (Stripe's libraries: 300 s) to stop replays.
 */
export const STRIPE_DEFAULT_TOLERANCE_SEC = 300;

export function stripeSignature(secret: string, timestampSec: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(rawBody).digest('hex');
}

export function stripeSignatureHeader(secret: string, timestampSec: number, rawBody: string | Buffer): string {
  return `t=${timestampSec},v1=${stripeSignature(secret, timestampSec, rawBody)}`;
}

export type StripeVerification =
  | { ok: true; timestampSec: number }
  | { ok: false; reason: 'missing_header' | 'malformed' | 'stale' | 'bad_signature' };

export function verifyStripeSignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  nowSec: number,
  toleranceSec = STRIPE_DEFAULT_TOLERANCE_SEC,
): StripeVerification {
  if (!header) return { ok: false, reason: 'missing_header' };
  let timestampSec: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't') timestampSec = Number(value);
    else if (key === 'v1' && value) signatures.push(value);
  }
  if (timestampSec === undefined || !Number.isInteger(timestampSec) || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(stripeSignature(secret, timestampSec, rawBody), 'hex');
  for (const signature of signatures) {
    const given = Buffer.from(signature, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, timestampSec };
  }
  return { ok: false, reason: 'bad_signature' };
}
