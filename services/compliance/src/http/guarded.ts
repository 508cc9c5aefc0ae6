import { sendProblem } from '@cutover/service-kit';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { DownstreamName, Downstreams } from '../downstreams.ts';

/**
 * A route handler run inside a downstream's bulkhead: a full bulkhead or a passed time limit
 * answers 503 with Retry-After instead of queueing without bound. Without BULKHEAD_PATTERN the
 * handler runs as is.
 */
export function guarded(
  downstreams: Downstreams,
  name: DownstreamName,
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
): RouteHandlerMethod {
  return async (request, reply) => {
    const result = await downstreams.run(name, () => handler(request, reply));
    if (result.ok) return result.value;
    if (reply.sent) return reply;
    return sendProblem(reply.header('retry-after', '1'), 503, `the ${name} bulkhead is ${result.reason}: retry shortly`, {
      bulkhead: name,
      reason: result.reason,
    });
  };
}
