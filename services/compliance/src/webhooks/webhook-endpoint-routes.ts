import { randomUUID } from 'node:crypto';
import { sendProblem } from '@cutover/service-kit';
import { z } from 'zod';
import { requireRole } from '../auth/require-role.ts';
import { type ComplianceContext, WEBHOOK_EVENT_TYPES } from '../compliance-context.ts';
import { PROBLEM_TYPES, parseBody } from '../http/parse-body.ts';
import { newWebhookSecret, sealSecret } from './secret-box.ts';
import { checkWebhookTarget } from './target-guard.ts';

const endpointSchema = z.strictObject({
  url: z.string().max(2000),
  eventTypes: z.array(z.enum([...WEBHOOK_EVENT_TYPES, '*'])).min(1),
  /** The endpoint's own secret (`whsec_<base64>`, 24-64 bytes); default: a new random one. */
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be whsec_ and 24-64 bytes of base64')
    .optional(),
});

/** Admin API of outgoing webhook endpoints: register (the secret is shown once), list, delivery log. */
export function registerWebhookEndpointRoutes(ctx: ComplianceContext): void {
  const { app } = ctx.service;
  const admins = requireRole(ctx.verifier, ['admin']);
  const key = ctx.config.DOCUMENT_ENCRYPTION_KEY;

  app.post('/webhook-endpoints', { onRequest: admins }, async (request, reply) => {
    const body = parseBody(endpointSchema, request.body, reply);
    if (!body) return reply;
    const target = await checkWebhookTarget(body.url, ctx.config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
    if (!target.ok) return sendProblem(reply, 422, `url: ${target.detail}`, { type: PROBLEM_TYPES.webhookRefused });
    const secret = body.secret ?? newWebhookSecret();
    const id = randomUUID();
    await ctx.pool.query(`INSERT INTO webhook_endpoints (id, url, event_types, secret) VALUES ($1, $2, $3, $4)`, [
      id,
      target.url.toString(),
      body.eventTypes,
      sealSecret(key, secret),
    ]);
    return reply
      .code(201)
      .send({ id, url: target.url.toString(), eventTypes: body.eventTypes, secret, note: 'the secret is shown only now' });
  });

  app.get('/webhook-endpoints', { onRequest: admins }, async () => {
    const { rows } = await ctx.pool.query(
      `SELECT id, url, event_types, enabled, disabled_reason, created_at FROM webhook_endpoints ORDER BY created_at`,
    );
    return { endpoints: rows };
  });

  app.get('/webhook-endpoints/:id/deliveries', { onRequest: admins }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!/^[0-9a-f-]{36}$/i.test(id)) return sendProblem(reply, 404, `no endpoint ${id}`);
    const { rows } = await ctx.pool.query(
      `SELECT id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, log, created_at, delivered_at
       FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at DESC LIMIT 100`,
      [id],
    );
    return { deliveries: rows };
  });
}
