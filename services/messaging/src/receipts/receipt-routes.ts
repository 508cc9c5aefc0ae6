import { IDEMPOTENT_REPLAYED_HEADER, sendProblem } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { MAX_ID_LENGTH } from '../ingress/message-input.ts';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import { RECEIPT_STATES, recordReceipt } from './receipt-store.ts';

const params = z.object({ messageId: z.uuid() });
const body = z.strictObject({ userId: z.string().min(1).max(MAX_ID_LENGTH), state: z.enum(RECEIPT_STATES) });

/** POST /api/messages/:messageId/receipts {userId, state: delivered|read}: 201 new, 200 already recorded. */
export function registerReceiptRoutes(app: FastifyInstance, { pool, metrics }: { pool: pg.Pool; metrics: MessagingMetrics }): void {
  app.post('/api/messages/:messageId/receipts', async (request, reply) => {
    const p = params.safeParse(request.params);
    if (!p.success) return sendProblem(reply, 400, 'messageId must be a UUID');
    const b = body.safeParse(request.body);
    if (!b.success) return sendProblem(reply, 400, 'the receipt is invalid', { issues: b.error.issues.map((i) => i.message) });
    const outcome = await recordReceipt(pool, p.data.messageId, b.data.userId, b.data.state);
    switch (outcome.kind) {
      case 'not-found':
        return sendProblem(reply, 404, `no message ${p.data.messageId}`);
      case 'not-recipient':
        return sendProblem(reply, 403, `${b.data.userId} is not a recipient of message ${p.data.messageId}`);
      case 'not-persisted':
        return sendProblem(reply.header('retry-after', '1'), 409, 'the message is still pending; record receipts once it is persisted');
      case 'recorded': {
        const response = { messageId: p.data.messageId, userId: b.data.userId, state: b.data.state, receipts: outcome.receipts };
        if (outcome.created) return reply.code(201).send({ ...response, idempotentHit: false });
        metrics.idempotencyHits.inc({ operation: 'receipt' });
        return reply
          .code(200)
          .header(IDEMPOTENT_REPLAYED_HEADER, 'true')
          .send({ ...response, idempotentHit: true });
      }
    }
  });
}
