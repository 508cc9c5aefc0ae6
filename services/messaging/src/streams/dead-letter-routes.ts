import { timingSafeEqual } from 'node:crypto';
import { sendProblem } from '@cutover/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MessagingMetrics } from '../messaging-metrics.ts';
import type { RedisClient } from '../redis/create-redis.ts';
import { listDeadLetters, parseDeadLetterId, replayDeadLetter } from './dead-letter-queue.ts';
import type { StreamKeys } from './stream-keys.ts';

export const MAX_DEAD_LETTER_PAGE = 500;
/** Most dead letters one replay-all call puts back. */
export const MAX_REPLAY_ALL = 1_000;

const deadLetterId = z
  .string()
  .refine((id) => parseDeadLetterId(id) !== null, 'must be a dead-letter id such as 1700000000000-0 (on a cluster 7:1700000000000-0)');
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_DEAD_LETTER_PAGE).default(50),
  after: deadLetterId.optional(),
});
const replayAllBody = z.strictObject({ limit: z.number().int().min(1).max(MAX_REPLAY_ALL).default(100) }).default({ limit: 100 });

export interface DeadLetterRoutesOptions {
  redis: RedisClient;
  keys: StreamKeys;
  metrics: MessagingMetrics;
  /** When set, callers must send `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
}

/**
 * GET /api/dead-letters (oldest first, `after` pages), POST /api/dead-letters/:id/replay and
 * POST /api/dead-letters/replay (the oldest `limit`): a replayed message goes back to the end of
 * its partition stream and leaves the dead-letter stream in one step.
 */
export function registerDeadLetterRoutes(app: FastifyInstance, options: DeadLetterRoutesOptions): void {
  const { redis, keys, metrics } = options;
  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!options.adminToken) return true;
    const expected = Buffer.from(`Bearer ${options.adminToken}`);
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'dead-letter endpoints need the admin bearer token');
    return false;
  };

  app.get('/api/dead-letters', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const query = listQuery.safeParse(request.query);
    if (!query.success) return sendProblem(reply, 400, 'bad query', { issues: query.error.issues.map((i) => i.message) });
    const { total, items } = await listDeadLetters(redis, keys, { limit: query.data.limit, afterId: query.data.after });
    return { total, items, next: items.length === query.data.limit ? items[items.length - 1].id : null };
  });

  app.post('/api/dead-letters/:id/replay', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const id = deadLetterId.safeParse((request.params as { id: string }).id);
    if (!id.success) return sendProblem(reply, 400, 'the dead-letter id must be a stream id (on a cluster <partition>:<stream id>)');
    const outcome = await replayDeadLetter(redis, keys, id.data);
    if (outcome.kind === 'not-found') return sendProblem(reply, 404, `no dead letter ${id.data}`);
    if (outcome.kind === 'not-replayable') return sendProblem(reply, 409, outcome.reason);
    metrics.deadLettersReplayed.inc();
    return outcome;
  });

  app.post('/api/dead-letters/replay', async (request, reply) => {
    if (!authorized(request, reply)) return reply;
    const body = replayAllBody.safeParse(request.body ?? undefined);
    if (!body.success) return sendProblem(reply, 400, 'body must be {"limit": 1..1000} or empty');
    const { items } = await listDeadLetters(redis, keys, { limit: body.data.limit });
    const outcomes = [];
    for (const letter of items) {
      const outcome = await replayDeadLetter(redis, keys, letter.id);
      if (outcome.kind === 'replayed') metrics.deadLettersReplayed.inc();
      outcomes.push(outcome);
    }
    return { replayed: outcomes.filter((o) => o.kind === 'replayed').length, outcomes };
  });
}
