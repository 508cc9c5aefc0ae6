import { sendProblem } from '@cutover/service-kit';
import type { Redis } from 'ioredis';
import type { ComplianceContext } from '../compliance-context.ts';
import { PROBLEM_TYPES } from '../http/parse-body.ts';
import { recordTransaction, taxStoreFor, transactionSchema } from '../tax/tax-routes.ts';
import { verifyStandardWebhook } from './standard-webhooks.ts';
import { verifyStripeSignature } from './stripe-signature.ts';

/** How long Redis remembers a processed Stripe event id (Stripe retries for up to 3 days). */
export const STRIPE_EVENT_DEDUPE_SEC = 4 * 86_400;

interface StripeEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

/** The tax transaction a Stripe event stands for, when it names one of our venues. */
function transactionOf(
  event: StripeEvent,
): { venueId: string; kind: 'sale' | 'refund' | 'chargeback'; amountCents: number; id: string } | null {
  const object = event.data?.object ?? {};
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const venueId = typeof metadata.venue_id === 'string' ? metadata.venue_id : null;
  if (!venueId || !/^[0-9a-f-]{36}$/i.test(venueId)) return null;
  if (event.type === 'charge.succeeded' && Number(object.amount) > 0)
    return { venueId, kind: 'sale', amountCents: Number(object.amount), id: String(object.id) };
  if (event.type === 'charge.refunded' && Number(object.amount_refunded) > 0)
    return { venueId, kind: 'refund', amountCents: Number(object.amount_refunded), id: `${object.id}:refund:${object.amount_refunded}` };
  if (event.type === 'charge.dispute.created' && Number(object.amount) > 0)
    return { venueId, kind: 'chargeback', amountCents: Number(object.amount), id: String(object.id) };
  return null;
}

/**
 * `POST /webhooks/stripe`: the raw body is verified against STRIPE_WEBHOOK_SECRET (Stripe's
 * scheme, 300 s tolerance) before it is parsed; an event id already processed is acknowledged
 * and changes nothing (Redis answers first, PostgreSQL is the durable record).
 */
export function registerInboundWebhookRoutes(ctx: ComplianceContext, redis: Redis): void {
  const tax = taxStoreFor(ctx);
  ctx.service.app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) => done(null, body));
    scope.post('/webhooks/stripe', async (request, reply) => {
      const raw = request.body as Buffer | undefined;
      if (!Buffer.isBuffer(raw)) return sendProblem(reply, 400, 'a Stripe event body is required', { type: PROBLEM_TYPES.webhookRefused });
      const header = request.headers['stripe-signature'];
      const verified = verifyStripeSignature(
        ctx.config.STRIPE_WEBHOOK_SECRET,
        typeof header === 'string' ? header : undefined,
        raw,
        Math.floor(Date.now() / 1000),
        ctx.config.STRIPE_WEBHOOK_TOLERANCE_SEC,
      );
      if (!verified.ok) {
        request.log.warn({ reason: verified.reason }, 'refused an inbound Stripe webhook');
        return sendProblem(reply, verified.reason === 'stale' ? 400 : 401, `Stripe-Signature refused: ${verified.reason}`, {
          type: PROBLEM_TYPES.webhookRefused,
        });
      }
      let event: StripeEvent;
      try {
        event = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendProblem(reply, 400, 'the event is not JSON', { type: PROBLEM_TYPES.webhookRefused });
      }
      if (typeof event?.id !== 'string' || typeof event.type !== 'string') return sendProblem(reply, 400, 'the event has no id or type');
      const fresh = await redis.set(`stripe:event:${event.id}`, '1', 'EX', STRIPE_EVENT_DEDUPE_SEC, 'NX').catch(() => 'OK');
      if (fresh === null) return { received: true, duplicate: true };
      const inserted = await ctx.pool.query(
        `INSERT INTO inbound_webhook_events (source, event_id, event_type) VALUES ('stripe', $1, $2) ON CONFLICT DO NOTHING`,
        [event.id, event.type],
      );
      if (inserted.rowCount === 0) return { received: true, duplicate: true };
      const transaction = transactionOf(event);
      if (transaction && (await ctx.venues.get(transaction.venueId))) {
        await recordTransaction(ctx, tax, transaction.venueId, {
          transactionId: `stripe:${transaction.id}`,
          kind: transaction.kind,
          amountCents: transaction.amountCents,
          occurredAt: new Date(verified.timestampSec * 1000).toISOString(),
        });
      }
      return { received: true, duplicate: false };
    });

    // The platform's own payment events (Standard Webhooks, signed with WEBHOOK_SECRET): one
    // `transaction.recorded` per sale, refund or chargeback; `webhook-id` is the idempotency key.
    scope.post('/webhooks/platform', async (request, reply) => {
      const raw = request.body as Buffer | undefined;
      if (!Buffer.isBuffer(raw)) return sendProblem(reply, 400, 'an event body is required', { type: PROBLEM_TYPES.webhookRefused });
      const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
      const verified = verifyStandardWebhook(
        ctx.config.WEBHOOK_SECRET,
        { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
        raw.toString('utf8'),
        Math.floor(Date.now() / 1000),
      );
      if (!verified.ok) {
        request.log.warn({ reason: verified.reason }, 'refused an inbound platform webhook');
        return sendProblem(reply, verified.reason === 'bad_signature' ? 401 : 400, `webhook signature refused: ${verified.reason}`, {
          type: PROBLEM_TYPES.webhookRefused,
        });
      }
      let event: { type?: unknown; data?: { venueId?: unknown } & Record<string, unknown> };
      try {
        event = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendProblem(reply, 400, 'the event is not JSON', { type: PROBLEM_TYPES.webhookRefused });
      }
      if (event.type !== 'transaction.recorded') return { received: true, ignored: true };
      const { venueId, ...fields } = event.data ?? {};
      const parsed = transactionSchema.safeParse(fields);
      if (typeof venueId !== 'string' || !/^[0-9a-f-]{36}$/i.test(venueId) || !parsed.success) {
        return sendProblem(reply, 422, 'data must hold venueId, transactionId, kind, amountCents and occurredAt');
      }
      const inserted = await ctx.pool.query(
        `INSERT INTO inbound_webhook_events (source, event_id, event_type) VALUES ('platform', $1, $2) ON CONFLICT DO NOTHING`,
        [header('webhook-id'), event.type],
      );
      if (inserted.rowCount === 0) return { received: true, duplicate: true };
      if (!(await ctx.venues.get(venueId))) return sendProblem(reply, 422, `no venue ${venueId}`);
      const recorded = await recordTransaction(ctx, tax, venueId, parsed.data);
      return { received: true, duplicate: false, ...recorded };
    });
  });
}
