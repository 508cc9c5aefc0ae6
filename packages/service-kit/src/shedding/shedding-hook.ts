import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../http/send-problem.ts';
import type { ServiceMetrics } from '../metrics/service-metrics.ts';
import type { LoadShedder } from './load-shedder.ts';

/**
 * Refuse requests with 503 + `Retry-After` while the shedder reports pressure. Runs first
 * (onRequest), so a shed request costs no body parsing. Routes with `config: { shed: false }`
 * (health, metrics) are always served.
 */
export function registerSheddingHook(app: FastifyInstance, shedder: LoadShedder, metrics?: ServiceMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.shed === false) return;
    const pressure = shedder.pressure();
    if (!pressure.underPressure) return;
    metrics?.shedRequestsTotal.inc({ reason: pressure.reason });
    reply.header('retry-after', String(shedder.retryAfterSeconds));
    return sendProblem(reply, 503, `server is overloaded (${pressure.reason} ${pressure.value} > ${pressure.limit}); retry later`);
  });
}
