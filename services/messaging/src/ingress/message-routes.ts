import { IDEMPOTENT_REPLAYED_HEADER, sendProblem } from '@cutover/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { z } from 'zod';
import { findMessage, listConversation } from '../message-queries.ts';
import { listReceipts } from '../receipts/receipt-store.ts';
import type { IngressOutcome, MessageIngress } from './message-ingress.ts';
import { MAX_ID_LENGTH, parseMessageInput } from './message-input.ts';

/** Header carrying the caller's correlation id; the request id stands in when absent. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';
export const MAX_CONVERSATION_PAGE = 500;

const messageIdParams = z.object({ messageId: z.uuid() });
const conversationQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_CONVERSATION_PAGE).default(100),
});

/** Most messages in one `POST /api/messages/batch`. */
export const MAX_BATCH_MESSAGES = 100;
/** Largest batch body (Fastify's default; a single message's limit is the service's `API_BODY_LIMIT_BYTES`). */
export const BATCH_BODY_LIMIT_BYTES = 1024 * 1024;

// Each item is checked by parseMessageInput on its own, so one bad message refuses only itself.
const batchEnvelope = z.strictObject({ messages: z.array(z.unknown()).min(1).max(MAX_BATCH_MESSAGES) });

/** One message's answer in a batch: the status and body its own `POST /api/messages` would have had. */
export type BatchItemAnswer = { status: number } & Record<string, unknown>;

function issuesOf(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function correlationIdOf(request: FastifyRequest): string {
  const header = request.headers[CORRELATION_ID_HEADER];
  return typeof header === 'string' && header.length > 0 && header.length <= MAX_ID_LENGTH ? header : request.id;
}

/** The status and body an ingress outcome is answered with (problem details for 422 and 503). */
function answerOf(outcome: IngressOutcome, clientMessageId: string): BatchItemAnswer {
  switch (outcome.kind) {
    case 'accepted':
      return { status: 201, ...outcome.ack, idempotentHit: false };
    case 'replayed':
      return { status: 200, ...outcome.ack, idempotentHit: true };
    case 'key-reused':
      return {
        status: 422,
        detail: `clientMessageId ${JSON.stringify(clientMessageId)} of this sender already names another message; use a new clientMessageId for new content`,
        messageId: outcome.messageId,
      };
    case 'failed':
      return { status: 503, detail: 'the message could not be accepted now; retry with the same clientMessageId' };
  }
}

export interface MessageRoutesOptions {
  ingress: MessageIngress;
  pool: pg.Pool;
}

/** POST /api/messages (idempotent ingress), POST /api/messages/batch, GET /api/messages/:messageId, GET /api/conversations/:id/messages. */
export function registerMessageRoutes(app: FastifyInstance, { ingress, pool }: MessageRoutesOptions): void {
  // The hot path logs nothing per request at info (two lines per message would cost more CPU than
  // the ingress itself); failures are still logged at error.
  app.post('/api/messages', { logLevel: 'warn' }, async (request, reply) => {
    const parsed = parseMessageInput(request.body);
    if (!parsed.success) return sendProblem(reply, 400, 'the message is invalid', { issues: issuesOf(parsed.error) });
    const outcome = await ingress.ingest(parsed.data, correlationIdOf(request));
    const answer = answerOf(outcome, parsed.data.clientMessageId);
    if (outcome.kind === 'failed') {
      request.log.error({ err: outcome.error }, 'message ingress failed');
      return sendProblem(reply.header('retry-after', '1'), 503, answer.detail as string, { requestId: request.id });
    }
    if (answer.status >= 400) {
      const { status, detail, ...extensions } = answer;
      return sendProblem(reply, status, detail as string, extensions);
    }
    const { status, ...body } = answer;
    if (outcome.kind === 'replayed') reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return reply.code(status).send(body);
  });

  // Many messages in one request: each is validated and claimed as if sent alone (they share the
  // ingress batches, so one INSERT and one XADD pipeline serve them all) and answered in order,
  // with the status its own request would have had. The request itself is 200 once its envelope is
  // valid; a sender retries the items answered 503 (same clientMessageId), and only those.
  app.post('/api/messages/batch', { logLevel: 'warn', bodyLimit: BATCH_BODY_LIMIT_BYTES }, async (request, reply) => {
    const envelope = batchEnvelope.safeParse(request.body);
    if (!envelope.success) return sendProblem(reply, 400, 'the batch is invalid', { issues: issuesOf(envelope.error) });
    const correlationId = correlationIdOf(request);
    const results = await Promise.all(
      envelope.data.messages.map(async (body, index): Promise<BatchItemAnswer> => {
        const parsed = parseMessageInput(body);
        if (!parsed.success)
          return {
            status: 400,
            detail: 'the message is invalid',
            issues: issuesOf(parsed.error).map((issue) => ({
              ...issue,
              path: issue.path === '' ? `messages.${index}` : `messages.${index}.${issue.path}`,
            })),
          };
        const outcome = await ingress.ingest(parsed.data, correlationId);
        if (outcome.kind === 'failed') request.log.error({ err: outcome.error, index }, 'message ingress failed');
        return answerOf(outcome, parsed.data.clientMessageId);
      }),
    );
    if (results.some((r) => r.status === 503)) reply.header('retry-after', '1');
    return { results };
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
