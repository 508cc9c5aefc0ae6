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
  // Callback-style (no promise per request); a shed request is answered here and done is not called.
  app.addHook('onRequest', (request, reply, done) => {
    const pressure = request.routeOptions.config.shed === false ? undefined : shedder.pressure();
    if (!pressure?.underPressure) return done();
    metrics?.shedRequestsTotal.inc({ reason: pressure.reason });
    reply.header('retry-after', String(shedder.retryAfterSeconds));
    sendProblem(reply, 503, `server is overloaded (${pressure.reason} ${pressure.value} > ${pressure.limit}); retry later`);
  });
}
