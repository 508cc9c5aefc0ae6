import { IDEMPOTENT_REPLAYED_HEADER, sendProblem } from '@cutover/service-kit';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { findMessage, listConversation } from '../message-queries.ts';
import { listReceipts } from '../receipts/receipt-store.ts';
import type { MessageIngress } from './message-ingress.ts';
import { MAX_ID_LENGTH, parseMessageInput } from './message-input.ts';

/** Header carrying the caller's correlation id; the request id stands in when absent. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';
export const MAX_CONVERSATION_PAGE = 500;

const messageIdParams = z.object({ messageId: z.uuid() });
const conversationQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_CONVERSATION_PAGE).default(100),
});

function issuesOf(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

export interface MessageRoutesOptions {
  ingress: MessageIngress;
  pool: pg.Pool;
}

/** POST /api/messages (idempotent ingress), GET /api/messages/:messageId, GET /api/conversations/:id/messages. */
export function registerMessageRoutes(app: FastifyInstance, { ingress, pool }: MessageRoutesOptions): void {
  // The hot path logs nothing per request at info (two lines per message would cost more CPU than
  // the ingress itself); failures are still logged at error.
  app.post('/api/messages', { logLevel: 'warn' }, async (request, reply) => {
    const parsed = parseMessageInput(request.body);
    if (!parsed.success) return sendProblem(reply, 400, 'the message is invalid', { issues: issuesOf(parsed.error) });
    const header = request.headers[CORRELATION_ID_HEADER];
    const correlationId = typeof header === 'string' && header.length > 0 && header.length <= MAX_ID_LENGTH ? header : request.id;
    const outcome = await ingress.ingest(parsed.data, correlationId);
    switch (outcome.kind) {
      case 'accepted':
        return reply.code(201).send({ ...outcome.ack, idempotentHit: false });
      case 'replayed':
        return reply
          .code(200)
          .header(IDEMPOTENT_REPLAYED_HEADER, 'true')
          .send({ ...outcome.ack, idempotentHit: true });
      case 'key-reused':
        return sendProblem(
          reply,
          422,
          `clientMessageId ${JSON.stringify(parsed.data.clientMessageId)} of this sender already names another message; use a new clientMessageId for new content`,
          { messageId: outcome.messageId },
        );
      case 'failed':
        request.log.error({ err: outcome.error }, 'message ingress failed');
        return sendProblem(
          reply.header('retry-after', '1'),
          503,
          'the message could not be accepted now; retry with the same clientMessageId',
          {
            requestId: request.id,
          },
        );
    }
  });

  app.get('/api/messages/:messageId', async (request, reply) => {
    const params = messageIdParams.safeParse(request.params);
    if (!params.success) return sendProblem(reply, 400, 'messageId must be a UUID');
    const message = await findMessage(pool, params.data.messageId);
    if (!message) return sendProblem(reply, 404, `no message ${params.data.messageId}`);
    return { ...message, receipts: await listReceipts(pool, message.messageId) };
  });

  app.get('/api/conversations/:conversationId/messages', async (request, reply) => {
    const { conversationId } = request.params as { conversationId: string };
    const query = conversationQuery.safeParse(request.query);
    if (!query.success) return sendProblem(reply, 400, 'bad query', { issues: issuesOf(query.error) });
    const messages = await listConversation(pool, conversationId, query.data.afterSeq, query.data.limit);
    return { conversationId, messages, nextAfterSeq: messages.at(-1)?.conversationSeq ?? query.data.afterSeq };
  });
}
