import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RedisClient } from '../redis/create-redis.ts';
import { readQueueState } from './lag-sampler.ts';
import type { StreamKeys } from './stream-keys.ts';

const query = z.object({
  /** Answer 503 when a partition's lag is above this (a deploy validation gate). */
  maxLag: z.coerce.number().int().min(0).optional(),
  /** Answer 503 when the dead-letter stream holds more than this. */
  maxDeadLetters: z.coerce.number().int().min(0).optional(),
});

/**
 * GET /api/queue/status: per-partition lag, pending, length and lease holder, and the dead-letter
 * count. With `maxLag` / `maxDeadLetters` it is a gate (503 when a limit is exceeded) for cutover's
 * validation and canary analysis. The lag gate judges the partitions that write-mode consumers
 * hold: whether persistence keeps up. Entries waiting on partitions nobody persists (consumers
 * disabled or shadowing, the first stages of the rollout) are reported as `unownedLag`, not judged.
 */
export function registerQueueStatusRoutes(app: FastifyInstance, options: { redis: RedisClient; keys: StreamKeys }): void {
  app.get('/api/queue/status', { logLevel: 'warn' }, async (request, reply) => {
    const q = query.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'maxLag and maxDeadLetters must be non-negative integers' });
    const state = await readQueueState(options.redis, options.keys);
    const problems: string[] = [];
    if (q.data.maxLag !== undefined && state.maxLag > q.data.maxLag) problems.push(`max partition lag ${state.maxLag} > ${q.data.maxLag}`);
    if (q.data.maxDeadLetters !== undefined && state.deadLetters > q.data.maxDeadLetters)
      problems.push(`dead letters ${state.deadLetters} > ${q.data.maxDeadLetters}`);
    const body = { status: problems.length > 0 ? 'fail' : 'pass', problems, ...state };
    return reply.code(problems.length > 0 ? 503 : 200).send(body);
  });
}
